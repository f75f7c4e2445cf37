-- The public form prunes its rate-limit rows by age on every submission: by index.
CREATE INDEX public_submission_at ON public_submission (at);
