//! Searching a [`Catalog`](super::Catalog): by name, capture date range and camera.

use super::catalog::CatalogItem;
use super::error::ServeError;

/// What to look for; empty fields match everything. All given fields must match.
#[derive(Debug, Clone, Default)]
pub struct Query {
    /// Part of the file name or folder path, in any case.
    pub name: Option<String>,
    /// First day, `YYYY-MM-DD` (or any prefix of a date: `2021`, `2021-03`).
    pub from: Option<String>,
    /// Last day, `YYYY-MM-DD` (or a prefix: `2021` is up to the end of 2021).
    pub to: Option<String>,
    /// Part of the camera's maker or model, in any case.
    pub camera: Option<String>,
}

fn date_prefix(field: &str, value: &str) -> Result<String, ServeError> {
    let ok = value.len() <= 10
        && value.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            _ => b.is_ascii_digit(),
        })
        && matches!(value.len(), 4 | 7 | 10);
    if ok {
        Ok(value.to_string())
    } else {
        Err(ServeError::BadRequest(format!(
            "{field} must be a date as YYYY, YYYY-MM or YYYY-MM-DD, not '{value}'"
        )))
    }
}

impl Query {
    /// Checks the dates; an empty field counts as not given.
    pub fn new(
        name: Option<&str>,
        from: Option<&str>,
        to: Option<&str>,
        camera: Option<&str>,
    ) -> Result<Query, ServeError> {
        fn given(v: Option<&str>) -> Option<&str> {
            v.map(str::trim).filter(|v| !v.is_empty())
        }
        Ok(Query {
            name: given(name).map(str::to_lowercase),
            from: given(from).map(|v| date_prefix("from", v)).transpose()?,
            to: given(to).map(|v| date_prefix("to", v)).transpose()?,
            camera: given(camera).map(str::to_lowercase),
        })
    }

    /// Whether an item matches.
    pub fn matches(&self, item: &CatalogItem) -> bool {
        let name_ok = self.name.as_ref().is_none_or(|n| {
            item.path.to_lowercase().contains(n)
                || item
                    .companions
                    .iter()
                    .any(|c| c.name.to_lowercase().contains(n))
        });
        let day = item.date.get(..10).unwrap_or(&item.date);
        let from_ok = self.from.as_ref().is_none_or(|f| day >= f.as_str());
        // `to` is a prefix: 2021-03 takes in every day of March.
        let to_ok = self
            .to
            .as_ref()
            .is_none_or(|t| day.get(..t.len()).unwrap_or(day) <= t.as_str());
        let camera_ok = self.camera.as_ref().is_none_or(|c| {
            item.camera
                .as_ref()
                .is_some_and(|camera| camera.to_lowercase().contains(c))
        });
        name_ok && from_ok && to_ok && camera_ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::tree::{Node, NodeKind, Timestamp};
    use std::sync::Arc;

    fn item(path: &str, date: &str, camera: Option<&str>) -> CatalogItem {
        CatalogItem {
            id: 0,
            name: path.rsplit('/').next().unwrap().into(),
            path: path.into(),
            kind: "photo",
            size: 1,
            date: date.into(),
            camera: camera.map(Into::into),
            companions: vec![],
            node: Arc::new(Node {
                name: vec![],
                kind: NodeKind::File,
                mode: 0,
                uid: 0,
                gid: 0,
                size: 1,
                mtime: Timestamp::default(),
                ctime: Timestamp::default(),
                inode: 0,
                device: 0,
                content: vec![],
                subtree: None,
                link_target: None,
                media: None,
            }),
        }
    }

    #[test]
    fn name_dates_and_camera_must_all_match() {
        let a = item(
            "/Photos/2021/IMG_0001.JPG",
            "2021-03-10T12:00:00",
            Some("Apple iPhone 12"),
        );
        let b = item(
            "/Photos/2022/DSC_0002.NEF",
            "2022-01-01T00:00:00+01:00",
            Some("NIKON Z 6"),
        );
        let q = |n, f, t, c| Query::new(n, f, t, c).unwrap();
        assert!(q(Some("img_"), None, None, None).matches(&a));
        assert!(!q(Some("img_"), None, None, None).matches(&b));
        assert!(q(Some("photos/2022"), None, None, None).matches(&b));
        assert!(q(None, Some("2021-03-10"), Some("2021-03"), None).matches(&a));
        assert!(!q(None, Some("2021-03-11"), None, None).matches(&a));
        assert!(q(None, None, Some("2021"), None).matches(&a));
        assert!(!q(None, None, Some("2021"), None).matches(&b));
        assert!(q(None, None, None, Some("iphone")).matches(&a));
        assert!(!q(None, None, None, Some("iphone")).matches(&b));
        assert!(q(Some(""), Some(" "), None, None).matches(&b));
        assert!(Query::new(None, Some("March"), None, None).is_err());
        assert!(Query::new(None, None, Some("2021-3-1"), None).is_err());
    }
}
