//! The optional AI analyst's rules, with no HTTP and no SQL: what of a
//! report or an incident it is shown (`facts`: figures and detector names,
//! free text masked by `mask`), the fixed prompts (`prompt`), the chat
//! completion's request and answer (`completion`) and its monthly budget
//! (`budget`). The client is `crate::analyst`; docs/sentinel.md, "AI
//! analyst", says what it sees and does.
pub mod budget;
pub mod completion;
pub mod facts;
pub mod mask;
pub mod prompt;
