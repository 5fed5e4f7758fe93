//! The numdialer terminal UI (not built yet).
