//! Hard links are stored once and restored as hard links, across folders; restoring one
//! name alone gives a plain file.

use std::fs;
use std::os::unix::fs::MetadataExt;

use super::u64_of;
use crate::support::*;

#[test]
fn hard_links_across_folders_are_read_once_and_restored_linked() {
    let s = Scratch::with_repo();
    let library = s.path("library");
    let original = library.join("originals/2021/IMG_0001.JPG");
    write_random_file(&original, 200_000, 1);
    write_random_file(&library.join("originals/2021/IMG_0002.JPG"), 200_000, 2);
    fs::create_dir_all(library.join("albums/Rome")).unwrap();
    fs::create_dir_all(library.join("albums/Best of")).unwrap();
    fs::hard_link(&original, library.join("albums/Rome/IMG_0001.JPG")).unwrap();
    fs::hard_link(&original, library.join("albums/Best of/rome.jpg")).unwrap();

    let summary = s.pv.backup(&[&library], &[]);
    assert_eq!(u64_of(&summary, "bytes_read"), 400_000, "{summary}");
    assert_eq!(u64_of(&summary, "total_files_processed"), 4);

    let target = s.path("all");
    s.pv.restore("latest", &target, &[]).success();
    let root = restored_path(&target, &library);
    let meta = |rel: &str| fs::metadata(root.join(rel)).unwrap();
    let first = meta("originals/2021/IMG_0001.JPG");
    assert_eq!(first.nlink(), 3);
    assert_eq!(meta("albums/Rome/IMG_0001.JPG").ino(), first.ino());
    assert_eq!(meta("albums/Best of/rome.jpg").ino(), first.ino());
    assert_eq!(meta("originals/2021/IMG_0002.JPG").nlink(), 1);
    assert_same_tree(&library, &root);

    // A second restore into the same place leaves the links as they are.
    s.pv.restore("latest", &target, &[]).success();
    assert_eq!(
        meta("albums/Rome/IMG_0001.JPG").ino(),
        meta("originals/2021/IMG_0001.JPG").ino()
    );

    // One name alone: a plain file with the content.
    let one = s.path("one");
    let spec = format!("latest:{}", library.join("albums/Rome").display());
    s.pv.restore(&spec, &one, &[]).success();
    let alone = fs::metadata(one.join("IMG_0001.JPG")).unwrap();
    assert_eq!((alone.nlink(), alone.len()), (1, 200_000));
    assert!(same_content(&original, &one.join("IMG_0001.JPG")).unwrap());
    // Two of the three names: linked to each other.
    let two = s.path("two");
    let spec = format!("latest:{}", library.join("albums").display());
    s.pv.restore(&spec, &two, &[]).success();
    let rome = fs::metadata(two.join("Rome/IMG_0001.JPG")).unwrap();
    let best = fs::metadata(two.join("Best of/rome.jpg")).unwrap();
    assert_eq!((rome.ino(), rome.nlink()), (best.ino(), 2));
}
