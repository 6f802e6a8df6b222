//! The file part of a [`Location`](super::Location).

use std::borrow::Borrow;
use std::fmt;
use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A file name shared by every location in that file.
///
/// Each keyword, argument and model item carries a location, so a big
/// configuration holds hundreds of thousands of them; with a `PathBuf` each
/// one was a heap copy of the name.  Cloning this is a reference-count bump.
/// It dereferences to [`Path`] and compares equal to paths, so it reads like
/// the `PathBuf` it replaces.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SourcePath(Arc<Path>);

impl SourcePath {
    pub fn as_path(&self) -> &Path {
        &self.0
    }
}

impl Default for SourcePath {
    fn default() -> Self {
        SourcePath(Arc::from(Path::new("")))
    }
}

impl Deref for SourcePath {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<Path> for SourcePath {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

impl Borrow<Path> for SourcePath {
    fn borrow(&self) -> &Path {
        &self.0
    }
}

/// Same output as `PathBuf`'s `Debug`, so model dumps do not change.
impl fmt::Debug for SourcePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl From<&SourcePath> for SourcePath {
    fn from(p: &SourcePath) -> Self {
        p.clone()
    }
}

impl From<&Path> for SourcePath {
    fn from(p: &Path) -> Self {
        SourcePath(Arc::from(p))
    }
}

impl From<PathBuf> for SourcePath {
    fn from(p: PathBuf) -> Self {
        SourcePath(Arc::from(p))
    }
}

impl From<&str> for SourcePath {
    fn from(p: &str) -> Self {
        SourcePath(Arc::from(Path::new(p)))
    }
}

impl From<String> for SourcePath {
    fn from(p: String) -> Self {
        SourcePath::from(PathBuf::from(p))
    }
}

impl PartialEq<Path> for SourcePath {
    fn eq(&self, other: &Path) -> bool {
        *self.0 == *other
    }
}

impl PartialEq<&Path> for SourcePath {
    fn eq(&self, other: &&Path) -> bool {
        *self.0 == **other
    }
}

impl PartialEq<PathBuf> for SourcePath {
    fn eq(&self, other: &PathBuf) -> bool {
        *self.0 == *other.as_path()
    }
}

impl PartialEq<SourcePath> for PathBuf {
    fn eq(&self, other: &SourcePath) -> bool {
        *self.as_path() == *other.0
    }
}
