//! Keyset pagination, as on the auth server: a page size and the sort key to
//! continue after.
pub const DEFAULT_PAGE_SIZE: u32 = 20;
pub const MAX_PAGE_SIZE: u32 = 100;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("limit must be between 1 and {MAX_PAGE_SIZE}")]
pub struct PageSizeError;

/// A page size within bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageSize(u32);

impl PageSize {
    pub fn parse(limit: Option<u32>) -> Result<Self, PageSizeError> {
        let limit = limit.unwrap_or(DEFAULT_PAGE_SIZE);
        if (1..=MAX_PAGE_SIZE).contains(&limit) {
            Ok(Self(limit))
        } else {
            Err(PageSizeError)
        }
    }

    pub fn get(self) -> u32 {
        self.0
    }
}

/// One page of items and the cursor of the next page, if there is one.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_after: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_outside_range_are_refused() {
        assert_eq!(PageSize::parse(Some(0)), Err(PageSizeError));
        assert_eq!(PageSize::parse(Some(101)), Err(PageSizeError));
        assert_eq!(PageSize::parse(None).map(PageSize::get), Ok(20));
        assert_eq!(PageSize::parse(Some(100)).map(PageSize::get), Ok(100));
    }
}
