//! A pack damaged on the store itself (a byte flipped in the server's own folder) is found by
//! `check --read-data`, cut out by `repair packs` and `repair snapshots`, and every photo it
//! did not hold restores byte for byte: on SFTP and on S3, whose test servers keep objects as
//! plain files on this machine (s3s-fs does; Garage, which `.ci/servers.sh` can run instead,
//! splits them into blocks of its own, and there the S3 case is skipped with a notice).

use std::fs;
use std::path::{Path, PathBuf};

use crate::support::{restored_path, write_random_file, Scratch, FAST_KDF};

use super::Server;

/// The folder on this machine that holds the objects of `location` on `server`.
fn folder_of(server: Server, location: &str) -> Option<PathBuf> {
    match server {
        // sftp://user@host:port/ABSOLUTE/FOLDER
        Server::Sftp => {
            let rest = location.strip_prefix("sftp://")?;
            Some(PathBuf::from(&rest[rest.find('/')?..]))
        }
        // s3:http://host:port/BUCKET/PREFIX, each bucket a folder of the server's root
        Server::S3 if std::env::var("PVAULT_TEST_S3_SERVER").is_ok_and(|s| s != "s3s-fs") => None,
        Server::S3 => {
            let state = std::env::var_os("PVAULT_TEST_SERVER_STATE")?;
            let rest = location.strip_prefix("s3:http://")?;
            Some(
                Path::new(&state)
                    .join("s3-root")
                    .join(&rest[rest.find('/')? + 1..]),
            )
        }
        Server::WebDav => None,
    }
}

/// The largest file below `dir`: with one photo per pack, a data pack.
fn largest_file(dir: &Path) -> PathBuf {
    photovault_testkit::files::walk(dir)
        .unwrap()
        .into_iter()
        .filter(|e| e.metadata.is_file())
        .max_by_key(|e| e.metadata.len())
        .expect("a pack")
        .path
}

fn damaged_pack_is_cut_out_and_the_rest_restores(server: Server) {
    let Some(location) = server.fresh_location("repair") else {
        return;
    };
    let Some(folder) = folder_of(server, &location) else {
        eprintln!(
            "\n*** SKIPPED: the {server:?} test server does not keep objects as plain files \
             here, so no byte of a pack can be flipped behind its back ***\n"
        );
        return;
    };
    let s = Scratch::new();
    let photos = s.path("photos");
    for i in 0..6 {
        write_random_file(&photos.join(format!("IMG_{i:04}.JPG")), 1 << 20, 40 + i);
    }
    let pv = server.pvault(&s, &location);
    pv.run(["init", "--pack-size", "1"].into_iter().chain(FAST_KDF))
        .success();
    pv.run(["backup", "--no-thumbnails", photos.to_str().unwrap()])
        .success();

    let pack = largest_file(&folder.join("data"));
    let mut bytes = fs::read(&pack).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x40;
    fs::write(&pack, bytes).unwrap();

    let found = pv.run(["check", "--read-data"]);
    assert_ne!(found.code, 0, "the damage is found: {found}");
    pv.run(["repair", "packs"]).success();
    pv.run(["repair", "snapshots", "--forget"]).success();
    pv.run(["check", "--read-data"]).success();

    let target = s.path("restored");
    pv.run(["restore", "latest", "--target", target.to_str().unwrap()])
        .success();
    let restored = restored_path(&target, &photos);
    let mut intact = 0;
    for entry in fs::read_dir(&photos).unwrap().flatten() {
        let copy = restored.join(entry.file_name());
        if copy.exists() {
            assert_eq!(fs::read(&copy).unwrap(), fs::read(entry.path()).unwrap());
            intact += 1;
        }
    }
    assert_eq!(intact, 5, "all but the photo in the damaged pack restore");
}

#[test]
fn a_pack_damaged_on_an_sftp_server_is_cut_out_and_the_rest_restores() {
    damaged_pack_is_cut_out_and_the_rest_restores(Server::Sftp);
}

#[test]
fn a_pack_damaged_on_an_s3_server_is_cut_out_and_the_rest_restores() {
    damaged_pack_is_cut_out_and_the_rest_restores(Server::S3);
}
