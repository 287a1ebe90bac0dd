-- The notifications database: the inbox, preferences per kind and channel, email deliveries
-- (an outbox with attempts, backoff and a dead-letter state), consumer dedupe, the outbox and
-- job leases.

CREATE SCHEMA app;

-- Request context, set per transaction with set_config(..., true) (docs/schema.md):
--   app.user_id  acting user (uuid)
--   app.role     USER | ADVISOR | ADMIN | SUPERUSER | SYSTEM
CREATE FUNCTION app.current_user_id() RETURNS uuid
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT nullif(current_setting('app.user_id', true), '')::uuid $$;

CREATE FUNCTION app.current_app_role() RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT nullif(current_setting('app.role', true), '') $$;

-- SYSTEM is the context of producers, relays and the email sender.
CREATE FUNCTION app.is_system() RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT coalesce(app.current_app_role() = 'SYSTEM', false) $$;

REVOKE ALL ON FUNCTION app.current_user_id(), app.current_app_role(), app.is_system() FROM PUBLIC;
GRANT USAGE ON SCHEMA app TO nexanest_notify;
GRANT EXECUTE ON FUNCTION app.current_user_id(), app.current_app_role(), app.is_system() TO nexanest_notify;

CREATE SCHEMA notifications;
GRANT USAGE ON SCHEMA notifications TO nexanest_notify;

-- kind: PRICE_ALERT, ALLOCATION_DRIFT, GOAL_MILESTONE, SECURITY_NEW_DEVICE, SECURITY_LOCKOUT,
-- SECURITY_PASSWORD_CHANGED, SECURITY_API_KEY_CREATED, ... (free text, checked by the service).
-- dedupe_key makes a producer's retry idempotent (one notification per crossing).
CREATE TABLE notifications.notifications (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id    uuid NOT NULL,
    kind       text NOT NULL CHECK (kind ~ '^[A-Z][A-Z0-9_]{0,63}$'),
    title      text NOT NULL CHECK (length(title) <= 200),
    body       text NOT NULL DEFAULT '' CHECK (length(body) <= 4000),
    data       jsonb NOT NULL DEFAULT '{}',
    dedupe_key text CHECK (length(dedupe_key) <= 200),
    created_at timestamptz NOT NULL DEFAULT now(),
    read_at    timestamptz
);
CREATE INDEX idx_notifications_user_created ON notifications.notifications (user_id, created_at DESC, id DESC);
CREATE INDEX idx_notifications_user_unread ON notifications.notifications (user_id, created_at DESC)
    WHERE read_at IS NULL;
CREATE UNIQUE INDEX idx_notifications_dedupe ON notifications.notifications (user_id, dedupe_key)
    WHERE dedupe_key IS NOT NULL;

-- Missing rows mean the default (every channel on); kind '*' sets a user's default for all kinds.
CREATE TABLE notifications.notification_preferences (
    user_id    uuid NOT NULL,
    kind       text NOT NULL CHECK (kind = '*' OR kind ~ '^[A-Z][A-Z0-9_]{0,63}$'),
    channel    text NOT NULL CHECK (channel IN ('IN_APP', 'EMAIL', 'LIVE')),
    enabled    boolean NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, kind, channel)
);

-- Email outbox: PENDING rows whose next_try_at has come are claimed (FOR UPDATE SKIP LOCKED),
-- sent, and marked SENT; a failure sets next_try_at with backoff until max_attempts, then DEAD.
CREATE TABLE notifications.deliveries (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id         uuid,
    notification_id uuid REFERENCES notifications.notifications (id) ON DELETE SET NULL,
    channel         text NOT NULL DEFAULT 'EMAIL' CHECK (channel IN ('EMAIL')),
    template        text NOT NULL CHECK (length(template) <= 64),
    to_address      text NOT NULL CHECK (length(to_address) <= 320),
    subject         text NOT NULL CHECK (length(subject) <= 998),
    body_text       text NOT NULL,
    body_html       text,
    status          text NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'SENDING', 'SENT', 'DEAD')),
    attempts        integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    max_attempts    integer NOT NULL DEFAULT 8 CHECK (max_attempts > 0),
    next_try_at     timestamptz NOT NULL DEFAULT now(),
    locked_until    timestamptz,
    last_error      text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz,
    dead_at         timestamptz,
    CHECK (status <> 'SENT' OR sent_at IS NOT NULL),
    CHECK (status <> 'DEAD' OR dead_at IS NOT NULL)
);
CREATE INDEX idx_deliveries_due ON notifications.deliveries (next_try_at) WHERE status IN ('PENDING', 'SENDING');
CREATE INDEX idx_deliveries_user_id ON notifications.deliveries (user_id, created_at DESC) WHERE user_id IS NOT NULL;
CREATE INDEX idx_deliveries_dead ON notifications.deliveries (dead_at) WHERE status = 'DEAD';
CREATE INDEX idx_deliveries_notification_id ON notifications.deliveries (notification_id) WHERE notification_id IS NOT NULL;

-- Idempotent consumers (relays, stream consumers) record each event they applied.
CREATE TABLE notifications.processed_events (
    consumer     text NOT NULL CHECK (length(consumer) <= 128),
    event_id     text NOT NULL CHECK (length(event_id) <= 128),
    processed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_id)
);
CREATE INDEX idx_notifications_processed_events_processed_at ON notifications.processed_events (processed_at);

CREATE TABLE notifications.outbox (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    actor_id       uuid,
    user_id        uuid,
    aggregate_type text NOT NULL CHECK (length(aggregate_type) <= 64),
    aggregate_id   text NOT NULL CHECK (length(aggregate_id) <= 128),
    event_type     text NOT NULL CHECK (length(event_type) <= 64),
    payload        jsonb NOT NULL DEFAULT '{}',
    request_id     text CHECK (length(request_id) <= 128),
    ip             inet,
    created_at     timestamptz NOT NULL DEFAULT now(),
    published_at   timestamptz,
    attempts       integer NOT NULL DEFAULT 0,
    last_error     text
);
CREATE INDEX idx_notifications_outbox_unpublished ON notifications.outbox (id) WHERE published_at IS NULL;
CREATE INDEX idx_notifications_outbox_published_at ON notifications.outbox (published_at) WHERE published_at IS NOT NULL;

CREATE TABLE public.job_leases (
    job_name   text PRIMARY KEY CHECK (length(job_name) <= 128),
    owner      text NOT NULL CHECK (length(owner) <= 256),
    expires_at timestamptz NOT NULL
);

GRANT SELECT, INSERT, UPDATE, DELETE ON notifications.notifications, notifications.notification_preferences,
    notifications.deliveries, notifications.outbox, public.job_leases TO nexanest_notify;
GRANT SELECT, INSERT, DELETE ON notifications.processed_events TO nexanest_notify;

-- The inbox: the user reads, marks read and deletes their own; producers (SYSTEM) create.
ALTER TABLE notifications.notifications ENABLE ROW LEVEL SECURITY;
ALTER TABLE notifications.notifications FORCE ROW LEVEL SECURITY;
CREATE POLICY notifications_own ON notifications.notifications FOR ALL TO nexanest_notify
    USING (user_id = (SELECT app.current_user_id()) OR (SELECT app.is_system()))
    WITH CHECK (user_id = (SELECT app.current_user_id()) OR (SELECT app.is_system()));

ALTER TABLE notifications.notification_preferences ENABLE ROW LEVEL SECURITY;
ALTER TABLE notifications.notification_preferences FORCE ROW LEVEL SECURITY;
CREATE POLICY notification_preferences_own ON notifications.notification_preferences FOR ALL TO nexanest_notify
    USING (user_id = (SELECT app.current_user_id()) OR (SELECT app.is_system()))
    WITH CHECK (user_id = (SELECT app.current_user_id()) OR (SELECT app.is_system()));

-- Deliveries: the sender (SYSTEM) works on all; a user may see their own.
ALTER TABLE notifications.deliveries ENABLE ROW LEVEL SECURITY;
ALTER TABLE notifications.deliveries FORCE ROW LEVEL SECURITY;
CREATE POLICY deliveries_own_read ON notifications.deliveries FOR SELECT TO nexanest_notify
    USING (user_id = (SELECT app.current_user_id()));
CREATE POLICY deliveries_sender ON notifications.deliveries FOR ALL TO nexanest_notify
    USING ((SELECT app.is_system())) WITH CHECK ((SELECT app.is_system()));

ALTER TABLE notifications.outbox ENABLE ROW LEVEL SECURITY;
ALTER TABLE notifications.outbox FORCE ROW LEVEL SECURITY;
CREATE POLICY outbox_insert ON notifications.outbox FOR INSERT TO nexanest_notify
    WITH CHECK (actor_id IS NOT DISTINCT FROM (SELECT app.current_user_id()) OR (SELECT app.is_system()));
CREATE POLICY outbox_relay ON notifications.outbox FOR ALL TO nexanest_notify
    USING ((SELECT app.is_system())) WITH CHECK ((SELECT app.is_system()));
