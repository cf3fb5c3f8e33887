-- SQLite twin of the postgres migration, which names the users' email rule.
-- SQLite cannot rename a table constraint, and its errors name the columns of
-- a broken unique rule rather than the rule: the store maps those columns
-- (store/users.rs), so there is nothing to change here.
SELECT 1;
