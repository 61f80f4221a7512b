//! Hard links show as one file with several names (one inode, the link count), and a photo
//! dated only by its XMP sidecar takes its place in the timeline by that date.

use std::fs;
use std::os::unix::fs::MetadataExt;

use crate::support::{backup, in_snapshot, init_repo, mount, scratch};

#[test]
fn hard_links_have_one_inode_and_their_link_count_and_sidecar_dates_place_photos() {
    let source = scratch("links").join("library");
    let original = source.join("originals/IMG_0001.JPG");
    fs::create_dir_all(original.parent().unwrap()).unwrap();
    fs::write(&original, vec![7u8; 100_000]).unwrap();
    fs::create_dir_all(source.join("albums/Rome")).unwrap();
    fs::hard_link(&original, source.join("albums/Rome/IMG_0001.JPG")).unwrap();
    fs::hard_link(&original, source.join("albums/favourite.jpg")).unwrap();
    fs::write(source.join("originals/scan.jpg"), b"a scan without EXIF").unwrap();
    fs::write(
        source.join("originals/scan.jpg.xmp"),
        "<x:xmpmeta><exif:DateTimeOriginal>1987-06-05T04:03:02</exif:DateTimeOriginal></x:xmpmeta>",
    )
    .unwrap();
    let repo = scratch("links").join("repo");
    init_repo(&repo);
    backup(&repo, &[&source], &[]);

    let Some(m) = mount(&repo, "links-mount", &[]) else {
        return;
    };
    let inside = in_snapshot(&m.dir, "latest", &source);
    // The timeline first, then the folders: each order counts links the same way.
    let dated = m.dir.join("timeline/1987/06/scan.jpg");
    assert_eq!(fs::read(&dated).unwrap(), b"a scan without EXIF");
    let meta = |rel: &str| fs::metadata(inside.join(rel)).unwrap();
    let first = meta("albums/Rome/IMG_0001.JPG");
    assert_eq!(first.nlink(), 3);
    assert_eq!(meta("originals/IMG_0001.JPG").ino(), first.ino());
    assert_eq!(meta("albums/favourite.jpg").ino(), first.ino());
    assert_eq!(meta("albums/favourite.jpg").nlink(), 3);
    assert_eq!(meta("originals/scan.jpg").nlink(), 1);
    assert_eq!(
        fs::read(inside.join("albums/favourite.jpg")).unwrap(),
        vec![7u8; 100_000]
    );
}
