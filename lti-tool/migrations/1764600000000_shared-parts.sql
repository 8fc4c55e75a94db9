-- Up Migration

-- Parts of a voice are named by their content (chunks/<settings>/part_<audio key>.mp4) and found by
-- name across a tenant's renders: an unchanged paragraph of an edited script is rendered once.
CREATE INDEX render_files_name ON render_files (name);

-- Down Migration
DROP INDEX render_files_name;
