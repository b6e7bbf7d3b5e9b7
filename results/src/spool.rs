//! The spool: every run is written to `<dir>/<run_id>.json` before any store sees it and
//! removed once a store has it, so nothing measured is lost when a database is down.

use std::path::{Path, PathBuf};

use crate::error::StoreError;
use crate::ids::RunId;
use crate::model::RunReport;

/// A directory of spooled runs.
#[derive(Debug, Clone)]
pub struct Spool {
    dir: PathBuf,
}

impl Spool {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn path_of(&self, id: RunId) -> PathBuf {
        self.dir.join(format!("{id}.json"))
    }

    fn err(path: &Path, message: impl std::fmt::Display) -> StoreError {
        StoreError::Spool {
            path: path.to_path_buf(),
            message: message.to_string(),
        }
    }

    /// Writes (or rewrites) a run atomically: a temporary file, fsync, then rename.
    pub fn write(&self, run: &RunReport) -> Result<PathBuf, StoreError> {
        use std::io::Write;
        std::fs::create_dir_all(&self.dir).map_err(|e| Self::err(&self.dir, e))?;
        let path = self.path_of(run.run_id);
        let tmp = self.dir.join(format!(".{}.json.tmp", run.run_id));
        let body = serde_json::to_vec_pretty(run)?;
        let mut file = std::fs::File::create(&tmp).map_err(|e| Self::err(&tmp, e))?;
        file.write_all(&body).map_err(|e| Self::err(&tmp, e))?;
        file.sync_all().map_err(|e| Self::err(&tmp, e))?;
        std::fs::rename(&tmp, &path).map_err(|e| Self::err(&path, e))?;
        Ok(path)
    }

    /// Removes a stored run's file; a missing file is fine.
    pub fn remove(&self, id: RunId) -> Result<(), StoreError> {
        let path = self.path_of(id);
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(Self::err(&path, e)),
        }
    }

    /// Spooled run files, oldest name first.
    pub fn list(&self) -> Result<Vec<PathBuf>, StoreError> {
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(Self::err(&self.dir, e)),
        };
        let mut files: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| {
                p.extension().is_some_and(|x| x == "json")
                    && !p
                        .file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with('.'))
            })
            .collect();
        files.sort();
        Ok(files)
    }

    /// Reads one spooled run.
    pub fn read(path: &Path) -> Result<RunReport, StoreError> {
        let body = std::fs::read(path).map_err(|e| Self::err(path, e))?;
        serde_json::from_slice(&body)
            .map_err(|e| Self::err(path, format!("not a calibench run: {e}")))
    }
}
