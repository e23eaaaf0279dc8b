package dev.byoos.spec.notify;

import java.util.List;

import dev.byoos.contract.EventTypes;

/** The event types a team can subscribe to. */
public final class NotificationTypes {

    /** The input watcher saw a spec's debootstrap base change (its suite's Release file). */
    public static final String BASE_UPDATED = "dev.byoos.spec.base-updated.v1";

    /** The input watcher saw a higher Kubernetes patch release of a spec's minor in the support matrix. */
    public static final String KUBERNETES_PATCH = "dev.byoos.spec.kubernetes-patch.v1";

    public static final List<String> ALL = List.of(EventTypes.BUILD_FAILED, EventTypes.PACK_PUBLISHED,
            EventTypes.PACK_DEPRECATED, EventTypes.PACK_REVOKED, BASE_UPDATED, KUBERNETES_PATCH);

    private NotificationTypes() {
    }
}
