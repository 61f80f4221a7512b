//! A damaged pack: the file whose data it holds fails with EIO (and the reason is logged);
//! everything else reads as usual.

use std::fs;
use std::path::{Path, PathBuf};

use crate::extras::{jpeg, movie, pseudo_random};
use crate::support::{backup, in_snapshot, init_repo, mount, scratch};

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[test]
fn a_damaged_pack_gives_eio_on_its_file_only() {
    let dir = scratch("damage");
    let source = dir.join("photos");
    fs::create_dir_all(&source).unwrap();
    let video = movie(None, &pseudo_random(77, 6 << 20));
    fs::write(source.join("video.MOV"), &video).unwrap();
    let repo = dir.join("repo");
    init_repo(&repo);
    backup(&repo, &[&source], &[]);

    // Trees are packed apart from data, so the one large pack holds only the video's blobs.
    let largest = files_under(&repo.join("data"))
        .into_iter()
        .max_by_key(|p| fs::metadata(p).unwrap().len())
        .unwrap();
    let mut bytes = fs::read(&largest).unwrap();
    assert!(
        bytes.len() > 4 << 20,
        "expected the video's pack, got {largest:?}"
    );
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xFF;
    let mut perms = fs::metadata(&largest).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    fs::set_permissions(&largest, perms).unwrap();
    fs::write(&largest, &bytes).unwrap();

    // A second backup adds an intact photo; the unchanged video keeps its damaged blobs.
    let photo = jpeg(Some("2020:02:02 02:02:02"), &pseudo_random(78, 300_000));
    fs::write(source.join("photo.jpg"), &photo).unwrap();
    backup(&repo, &[&source], &[]);

    let Some(m) = mount(&repo, "damage", &[]) else {
        return;
    };
    let inside = in_snapshot(&m.dir, "latest", &source);
    let mut names: Vec<_> = fs::read_dir(&inside)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["photo.jpg", "video.MOV"]);
    assert_eq!(
        fs::metadata(inside.join("video.MOV")).unwrap().len(),
        video.len() as u64
    );
    let error = fs::read(inside.join("video.MOV")).expect_err("damaged data was returned");
    assert_eq!(error.raw_os_error(), Some(libc::EIO), "{error}");
    assert_eq!(fs::read(inside.join("photo.jpg")).unwrap(), photo);
    assert_eq!(
        fs::read(m.dir.join("timeline/2020/02/photo.jpg")).unwrap(),
        photo
    );
    // The first blobs of the video are intact and still readable.
    let mut head = [0u8; 4096];
    let file = fs::File::open(inside.join("video.MOV")).unwrap();
    std::os::unix::fs::FileExt::read_exact_at(&file, &mut head, 0).unwrap();
    assert_eq!(&head[..], &video[..4096]);

    let (status, _, stderr) = m.stop(libc::SIGTERM);
    assert!(status.success(), "{stderr}");
    assert!(
        stderr.contains("video.MOV") && stderr.contains("damaged"),
        "the reason is not logged:\n{stderr}"
    );
    assert!(!stderr.contains("photo.jpg"), "{stderr}");
}
