//! Specifications of how each location string (a path, sftp:, s3:, webdav:, opendal:) is
//! read: its parts, the options and environment it takes, and the strings it refuses.

use super::*;

fn parse(location: &str, pairs: &[&str], env: &[(&str, &str)]) -> Result<Location> {
    let options = BackendOptions::from_pairs(pairs.iter().copied()).unwrap();
    let env: BTreeMap<String, String> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Location::parse_with_env(location, &options, &|k| env.get(k).cloned())
}

fn remote(location: &str, pairs: &[&str], env: &[(&str, &str)]) -> RemoteSpec {
    match parse(location, pairs, env).unwrap() {
        Location::Remote(spec) => spec,
        other => panic!("{location} parsed as {other:?}"),
    }
}

#[test]
fn paths_are_local_folders() {
    for (text, path) in [
        ("/mnt/disk/photos", "/mnt/disk/photos"),
        ("relative/repo", "relative/repo"),
        ("local:/mnt/x", "/mnt/x"),
        ("C:/odd but local", "C:/odd but local"),
    ] {
        assert_eq!(
            parse(text, &[], &[]).unwrap(),
            Location::Local(PathBuf::from(path))
        );
    }
}

#[test]
fn sftp_takes_scp_and_url_forms() {
    let spec = remote("sftp:ann@nas:/srv/photos", &[], &[]);
    assert_eq!(spec.service, "sftp");
    assert_eq!(spec.config["endpoint"], "ann@nas");
    assert_eq!(spec.config["root"], "/srv/photos");
    assert_eq!(spec.config["known_hosts_strategy"], "strict");
    assert!(!spec.atomic_put);

    let spec = remote(
        "sftp://ann@nas:2222/srv/photos",
        &["sftp.key=/k", "connections=3"],
        &[],
    );
    assert_eq!(spec.config["endpoint"], "ssh://ann@nas:2222");
    assert_eq!(spec.config["root"], "/srv/photos");
    assert_eq!(spec.config["key"], "/k");
    assert_eq!(spec.connections, 3);

    assert!(parse("sftp:nas:relative/path", &[], &[]).is_err());
    assert!(parse("sftp:nas", &[], &[]).is_err());
    assert!(parse("sftp:nas:/x", &["sftp.known-hosts=maybe"], &[]).is_err());
}

#[test]
fn s3_takes_endpoints_buckets_prefixes_and_the_aws_environment() {
    let env = [
        ("AWS_ACCESS_KEY_ID", "AKID"),
        ("AWS_SECRET_ACCESS_KEY", "very secret"),
        ("AWS_DEFAULT_REGION", "garage"),
    ];
    let spec = remote("s3:http://127.0.0.1:3900/photos/laptop/2024", &[], &env);
    assert_eq!(spec.config["endpoint"], "http://127.0.0.1:3900");
    assert_eq!(spec.config["bucket"], "photos");
    assert_eq!(spec.config["root"], "/laptop/2024");
    assert_eq!(spec.config["region"], "garage");
    assert_eq!(spec.config["access_key_id"], "AKID");
    assert!(!spec.config.contains_key("enable_virtual_host_style"));
    assert!(spec.atomic_put);
    assert!(!format!("{spec:?}").contains("very secret"));
    assert!(!spec.shown.contains("very secret"));

    let spec = remote(
        "s3:s3.amazonaws.com/photos",
        &[],
        &[("AWS_REGION", "eu-west-1")],
    );
    assert!(!spec.config.contains_key("endpoint"));
    assert_eq!(spec.config["region"], "eu-west-1");
    assert_eq!(spec.config["enable_virtual_host_style"], "true");
    assert_eq!(spec.config["root"], "/");

    let spec = remote(
        "s3:minio.lan:9000/b",
        &["s3.region=x", "s3.bucket-lookup=dns"],
        &[],
    );
    assert_eq!(spec.config["endpoint"], "https://minio.lan:9000");
    assert_eq!(spec.config["region"], "x");
    assert_eq!(spec.config["enable_virtual_host_style"], "true");

    assert!(parse("s3:http://host", &[], &[]).is_err());
    assert!(parse("s3:ftp://host/b", &[], &[]).is_err());
    assert!(parse("s3:http://key:secret@host/b", &[], &[])
        .is_err_and(|e| !e.to_string().contains("secret@")));
}

#[test]
fn webdav_credentials_come_from_the_url_or_the_environment_and_are_never_shown() {
    let spec = remote(
        "webdav:https://ann:hunter2@dav.example/backups/photos",
        &[],
        &[],
    );
    assert_eq!(spec.config["endpoint"], "https://dav.example");
    assert_eq!(spec.config["root"], "/backups/photos");
    assert_eq!(spec.config["username"], "ann");
    assert_eq!(spec.config["password"], "hunter2");
    assert_eq!(spec.shown, "webdav:https://ann@dav.example/backups/photos");

    let spec = remote(
        "webdav:http://127.0.0.1:8080/",
        &[],
        &[("PVAULT_WEBDAV_USER", "u"), ("PVAULT_WEBDAV_PASSWORD", "p")],
    );
    assert_eq!(spec.config["username"], "u");
    assert_eq!(spec.config["password"], "p");
}

#[test]
fn any_opendal_service_takes_its_configuration_from_options() {
    let spec = remote(
        "opendal:b2",
        &[
            "opendal.bucket=photos",
            "opendal.application_key=env:B2_KEY",
            "connections=8",
        ],
        &[("B2_KEY", "k")],
    );
    assert_eq!(spec.service, "b2");
    assert_eq!(spec.config["bucket"], "photos");
    assert_eq!(spec.config["application_key"], "k");
    assert_eq!(spec.connections, 8);
    assert!(spec.atomic_put);
    assert!(parse("opendal:b2", &["opendal.application_key=env:MISSING"], &[]).is_err());
}

#[test]
fn unknown_schemes_and_bad_options_are_refused_by_name() {
    let e = parse("ftp://host/x", &[], &[]).unwrap_err().to_string();
    assert!(e.contains("'ftp://'"), "{e}");
    let e = parse("rest:http://host/", &[], &[])
        .unwrap_err()
        .to_string();
    assert!(e.contains("opendal:SERVICE"), "{e}");
    assert!(parse("", &[], &[]).is_err());
    assert!(parse("/x", &["connections=0"], &[]).is_err());
    assert!(BackendOptions::from_pairs(["novalue"]).is_err());
}
