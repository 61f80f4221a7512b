//! Everything works on every backend: the CLI's whole routine against SFTP, S3 and WebDAV
//! servers, and copies between stores.

use crate::support::{
    assert_same_tree, copy_tree, corpus, mutate_corpus, restored_path, Scratch, FAST_KDF,
};

use super::Server;

/// init, backup, a changed backup, check --read-data, restore, ls, forget --prune, check
/// again, and a restore of what is left: through `pvault`, on `server`.
fn whole_routine(server: Server) {
    let Some(location) = server.fresh_location("routine") else {
        return;
    };
    let s = Scratch::new();
    let pv = server.pvault(&s, &location);
    let photos = s.path("photos");
    copy_tree(corpus(), &photos);

    pv.run(["init"].into_iter().chain(FAST_KDF)).success();
    pv.run(["backup", photos.to_str().unwrap()]).success();
    mutate_corpus(&photos, 7);
    pv.run(["backup", photos.to_str().unwrap()]).success();
    pv.run(["check", "--read-data"]).success();

    let target = s.path("restored");
    pv.run(["restore", "latest", "--target", target.to_str().unwrap()])
        .success();
    assert_same_tree(&photos, &restored_path(&target, &photos));
    let listed = pv.run(["ls", "latest", "--json"]).success();
    assert!(listed.stdout.lines().count() > 100, "{listed}");

    let snapshots = pv.run(["snapshots", "--json"]).success().json();
    assert_eq!(snapshots.as_array().unwrap().len(), 2);
    pv.run([
        "forget",
        "--keep-last",
        "1",
        "--prune",
        "--allow-last-copy-loss",
    ])
    .success();
    pv.run(["check", "--read-data"]).success();
    let again = s.path("again");
    pv.run(["restore", "latest", "--target", again.to_str().unwrap()])
        .success();
    assert_same_tree(&photos, &restored_path(&again, &photos));
}

#[test]
fn the_whole_routine_works_over_sftp() {
    whole_routine(Server::Sftp);
}

#[test]
fn the_whole_routine_works_on_s3() {
    whole_routine(Server::S3);
}

#[test]
fn the_whole_routine_works_over_webdav() {
    whole_routine(Server::WebDav);
}

#[test]
fn snapshots_copy_from_a_local_disk_to_s3_and_on_to_sftp() {
    let (Some(s3), Some(sftp)) = (
        Server::S3.fresh_location("copy"),
        Server::Sftp.fresh_location("copy"),
    ) else {
        return;
    };
    let s = Scratch::with_repo();
    let photos = s.path("photos");
    copy_tree(corpus(), &photos);
    s.pv.run(["backup", photos.to_str().unwrap()]).success();

    let on_s3 = Server::S3.pvault(&s, &s3);
    on_s3.run(["init"].into_iter().chain(FAST_KDF)).success();
    let local = s.pv.repo().to_str().unwrap().to_string();
    on_s3
        .with_env("PVAULT_FROM_PASSWORD", crate::support::PASSWORD)
        .run(["copy", "--from-repo", &local])
        .success();

    let on_sftp = Server::Sftp.pvault(&s, &sftp);
    on_sftp.run(["init"].into_iter().chain(FAST_KDF)).success();
    let mut from_s3 = on_sftp.with_env("PVAULT_FROM_PASSWORD", crate::support::PASSWORD);
    for (key, value) in Server::S3.env() {
        from_s3 = from_s3.with_env(key, value);
    }
    from_s3.run(["copy", "--from-repo", &s3]).success();
    on_sftp.run(["check", "--read-data"]).success();

    let target = s.path("restored");
    on_sftp
        .run(["restore", "latest", "--target", target.to_str().unwrap()])
        .success();
    assert_same_tree(&photos, &restored_path(&target, &photos));
}
