package dev.byoos.spec.notify;

import java.util.List;

import dev.byoos.contract.EventTypes;

/** The event types a team can subscribe to. */
public final class NotificationTypes {

    /**
     * Published by the deprecate/revoke and base-watch work of issue #17; named here so that teams
     * can subscribe before their producers are wired to {@code Deliveries.enqueue}.
     */
    public static final String PACK_DEPRECATED = "dev.byoos.pack.deprecated.v1";
    public static final String PACK_REVOKED = "dev.byoos.pack.revoked.v1";
    public static final String BASE_UPDATED = "dev.byoos.spec.base-updated.v1";

    public static final List<String> ALL = List.of(EventTypes.BUILD_FAILED, EventTypes.PACK_PUBLISHED,
            PACK_DEPRECATED, PACK_REVOKED, BASE_UPDATED);

    private NotificationTypes() {
    }
}
