//! Keyset pagination, the same on every list of every service: a page size,
//! the sort key to continue after, and a page with the cursor of the next.
//!
//! A store fetches one row more than the page size ([`PageSize::fetch`]):
//! that row only tells whether another page follows, and
//! [`Page::from_overfetch`] drops it.
pub const DEFAULT_PAGE_SIZE: u32 = 20;
pub const MAX_PAGE_SIZE: u32 = 100;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("limit must be between 1 and {MAX_PAGE_SIZE}")]
pub struct PageSizeError;

/// A page size within bounds (`limit` of a list query; default 20).
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

    /// The SQL `LIMIT` to fetch: one row more than the page, to learn whether
    /// another page follows.
    pub fn fetch(self) -> i64 {
        i64::from(self.0) + 1
    }
}

/// A page size and the (text) sort key of the last item already seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    size: PageSize,
    after: Option<String>,
}

impl PageRequest {
    /// `after` empty is the same as none: the first page.
    pub fn parse(limit: Option<u32>, after: Option<String>) -> Result<Self, PageSizeError> {
        Ok(Self {
            size: PageSize::parse(limit)?,
            after: after.filter(|a| !a.is_empty()),
        })
    }

    pub fn size(&self) -> PageSize {
        self.size
    }

    pub fn limit(&self) -> u32 {
        self.size.get()
    }

    pub fn after(&self) -> Option<&str> {
        self.after.as_deref()
    }
}

/// One page of items and the cursor of the next page, if there is one.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_after: Option<String>,
}

impl<T> Page<T> {
    /// The page of `items` fetched with `LIMIT size.fetch()`: a row beyond
    /// `size` is dropped and means a next page, after the last item kept
    /// (`cursor` gives its sort key).
    pub fn from_overfetch(
        mut items: Vec<T>,
        size: PageSize,
        cursor: impl FnOnce(&T) -> String,
    ) -> Self {
        let limit = size.get() as usize;
        let next_after = if items.len() > limit {
            items.truncate(limit);
            items.last().map(cursor)
        } else {
            None
        };
        Self { items, next_after }
    }

    /// [`from_overfetch`](Self::from_overfetch) of the rows a store fetched,
    /// each made an item by `item`.
    pub fn from_rows<R, E>(
        rows: &[R],
        size: PageSize,
        item: impl FnMut(&R) -> Result<T, E>,
        cursor: impl FnOnce(&T) -> String,
    ) -> Result<Self, E> {
        let items = rows.iter().map(item).collect::<Result<Vec<_>, E>>()?;
        Ok(Self::from_overfetch(items, size, cursor))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_outside_range_are_refused() {
        assert_eq!(PageSize::parse(Some(0)), Err(PageSizeError));
        assert_eq!(PageSize::parse(Some(101)), Err(PageSizeError));
        assert_eq!(PageSize::parse(None).map(PageSize::get), Ok(20));
        assert_eq!(PageSize::parse(Some(100)).map(PageSize::fetch), Ok(101));
        assert_eq!(PageRequest::parse(Some(0), None), Err(PageSizeError));
        assert_eq!(
            PageRequest::parse(Some(100), Some(String::new())).map(|p| p.after().is_none()),
            Ok(true)
        );
    }

    #[test]
    fn the_extra_row_means_a_next_page() -> Result<(), PageSizeError> {
        let two = PageSize::parse(Some(2))?;
        let page = Page::from_overfetch(vec![1, 2, 3], two, i32::to_string);
        assert_eq!(
            (page.items, page.next_after),
            (vec![1, 2], Some("2".into()))
        );
        let last = Page::from_overfetch(vec![1, 2], two, i32::to_string);
        assert_eq!((last.items, last.next_after), (vec![1, 2], None));
        let parsed = Page::from_rows(&["1", "2", "3"], two, |r| r.parse::<i32>(), i32::to_string);
        assert_eq!(parsed.map(|p| p.next_after), Ok(Some("2".into())));
        assert!(Page::from_rows(&["1", "x"], two, |r| r.parse::<i32>(), i32::to_string).is_err());
        Ok(())
    }
}
