-- First responses are read a repository at a time through the primary key
-- of gh_item_activity (repository first), so its index on (repository,
-- number), which every imported row also had to be written into, goes.
DROP INDEX gh_item_activity_item;
