//! 报表: reports made from the day's records, as pure functions of rows a caller has loaded. Today
//! the 实收日报 (`daily`), with its exports (`export`: CSV and XLSX).

pub mod daily;
pub mod export;
