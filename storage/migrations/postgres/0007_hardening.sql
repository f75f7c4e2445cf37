-- A public form's one-time key stands for the form and its content: the same key with
-- other content is another form (a page restored from a cache), never the first one's
-- receipt. The hash of the content stored under the key tells the two apart.
ALTER TABLE petition ADD COLUMN submission_hash TEXT;
