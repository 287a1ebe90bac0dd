ALTER TABLE notifications.deliveries DROP CONSTRAINT deliveries_notification_id_fkey;
ALTER TABLE notifications.deliveries ADD CONSTRAINT deliveries_notification_id_fkey
    FOREIGN KEY (notification_id) REFERENCES notifications.notifications (id) ON DELETE SET NULL;
ALTER TABLE notifications.notifications DROP CONSTRAINT notifications_id_user_id_key;
