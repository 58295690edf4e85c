//! The `halo.HaloError` hierarchy and the conversion of library errors into it.
//!
//! Every message is the one the CLI prints after `error: ` (the `{:#}` chain of context and
//! cause), so a Python user and a shell user read the same words.

use pyo3::exceptions::PyException;
use pyo3::prelude::*;

pyo3::create_exception!(
    halo,
    HaloError,
    PyException,
    "Base class of every error raised by halo."
);
pyo3::create_exception!(
    halo,
    StructureError,
    HaloError,
    "A structure could not be read, parsed or analysed (the message names the file, line or field)."
);
pyo3::create_exception!(
    halo,
    ParameterError,
    HaloError,
    "A parameter is out of range or malformed (the message names it, as the CLI flag)."
);
pyo3::create_exception!(
    halo,
    EvaluationError,
    HaloError,
    "A computation stage (bvse, graph, kmc, filters) failed for this structure."
);
pyo3::create_exception!(
    halo,
    CampaignError,
    HaloError,
    "A campaign could not be run, resumed or read (workflow, folder, lock, checkpoint)."
);
pyo3::create_exception!(
    halo,
    InternalError,
    HaloError,
    "A bug in halo (a Rust panic), caught before it reached Python."
);

/// Which exception class an error becomes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Structure,
    Parameter,
    Evaluation,
    Campaign,
    Internal,
}

/// An error on its way to Python: its class and the CLI's message chain.
#[derive(Debug)]
pub struct Failure {
    pub kind: Kind,
    pub error: anyhow::Error,
}

impl Failure {
    pub fn new(kind: Kind, error: impl Into<anyhow::Error>) -> Self {
        Failure {
            kind,
            error: error.into(),
        }
    }

    /// A failure with a plain message.
    pub fn msg(kind: Kind, message: impl std::fmt::Display) -> Self {
        Failure {
            kind,
            error: anyhow::anyhow!("{message}"),
        }
    }
}

/// `Result` of the binding layer.
pub type HResult<T> = Result<T, Failure>;

/// Tag a library result with the exception class it raises.
pub trait Classify<T> {
    fn kind(self, kind: Kind) -> HResult<T>;
}

impl<T, E: Into<anyhow::Error>> Classify<T> for Result<T, E> {
    fn kind(self, kind: Kind) -> HResult<T> {
        self.map_err(|e| Failure::new(kind, e))
    }
}

impl From<Failure> for PyErr {
    fn from(f: Failure) -> PyErr {
        // the CLI's `{:#}` chain, without a cause that the message before it already states
        // (an error that prints its source: "x: No such file…: No such file…")
        let mut m = String::new();
        for cause in f.error.chain() {
            let c = cause.to_string();
            if m.is_empty() {
                m = c;
            } else if !m.contains(&c) {
                m = format!("{m}: {c}");
            }
        }
        match f.kind {
            Kind::Structure => StructureError::new_err(m),
            Kind::Parameter => ParameterError::new_err(m),
            Kind::Evaluation => EvaluationError::new_err(m),
            Kind::Campaign => CampaignError::new_err(m),
            Kind::Internal => InternalError::new_err(m),
        }
    }
}

/// The message of a caught panic payload.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    let text = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".to_string());
    format!("internal error (a bug in halo, please report it): {text}")
}

/// Run `f`, turning a panic into [`Kind::Internal`].
pub fn guard<T>(f: impl FnOnce() -> HResult<T>) -> HResult<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
        .unwrap_or_else(|p| Err(Failure::msg(Kind::Internal, panic_message(&*p))))
}

/// Register the exception classes on the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("HaloError", py.get_type::<HaloError>())?;
    m.add("StructureError", py.get_type::<StructureError>())?;
    m.add("ParameterError", py.get_type::<ParameterError>())?;
    m.add("EvaluationError", py.get_type::<EvaluationError>())?;
    m.add("CampaignError", py.get_type::<CampaignError>())?;
    m.add("InternalError", py.get_type::<InternalError>())?;
    Ok(())
}
