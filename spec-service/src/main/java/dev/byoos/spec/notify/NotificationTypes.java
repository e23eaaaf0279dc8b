package dev.byoos.spec.notify;

import java.util.List;

import dev.byoos.contract.EventTypes;

/** The event types a team can subscribe to. */
public final class NotificationTypes {

    /**
     * For the base watcher of issue #17, which does not exist yet: teams can subscribe before it
     * produces the event.
     */
    public static final String BASE_UPDATED = "dev.byoos.spec.base-updated.v1";

    public static final List<String> ALL = List.of(EventTypes.BUILD_FAILED, EventTypes.PACK_PUBLISHED,
            EventTypes.PACK_DEPRECATED, EventTypes.PACK_REVOKED, BASE_UPDATED);

    private NotificationTypes() {
    }
}
