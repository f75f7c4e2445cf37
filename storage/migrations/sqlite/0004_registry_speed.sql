-- The public form prunes its rate-limit rows by age on every submission: by index.
CREATE INDEX public_submission_at ON public_submission (at);

-- A village's petitions in one state, newest first: the registry's search window for
-- a village and state is found in this index alone.
CREATE INDEX petition_village_state ON petition (village_id, state, received_at);

-- The township's petitions by channel and by kind, newest first, for the same reason.
CREATE INDEX petition_township_channel ON petition (township_id, channel, received_at);
CREATE INDEX petition_township_kind ON petition (township_id, kind, received_at);
