-- Keys that a distributed PostgreSQL accepts (docs/scale-out.md "Past one PostgreSQL"): a
-- delivery points to its notification with the user in the key. A delivery with no user (mail
-- to an address without an account) has no notification, so nothing changes for it.
-- Same rows, same meaning; tests/schema/distribution_pgtest.cpp keeps the rule.
ALTER TABLE notifications.notifications ADD CONSTRAINT notifications_id_user_id_key UNIQUE (id, user_id);
ALTER TABLE notifications.deliveries DROP CONSTRAINT deliveries_notification_id_fkey;
ALTER TABLE notifications.deliveries ADD CONSTRAINT deliveries_notification_id_fkey
    FOREIGN KEY (notification_id, user_id) REFERENCES notifications.notifications (id, user_id)
    ON DELETE SET NULL (notification_id);
