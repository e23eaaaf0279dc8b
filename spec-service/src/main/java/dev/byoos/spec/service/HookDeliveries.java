package dev.byoos.spec.service;

import java.time.OffsetDateTime;
import java.time.ZoneOffset;

import jakarta.enterprise.context.ApplicationScoped;

import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;

/**
 * The webhook deliveries each source has made, so a captured delivery cannot be played again. A
 * delivery is kept until its signed timestamp has left the replay window; after that the timestamp
 * check refuses it, so the table stays as small as one window's traffic.
 */
@ApplicationScoped
public class HookDeliveries {

    /**
     * Records a delivery, in its own transaction.
     *
     * @return true the first time {@code deliveryId} is seen for {@code source}; false for a replay
     */
    public Uni<Boolean> firstSeen(String source, String deliveryId, OffsetDateTime keepUntil) {
        return Panache.withTransaction(() -> Panache.getSession().flatMap(session -> session
                .createNativeQuery("delete from hook_delivery where expires_at < :now")
                .setParameter("now", OffsetDateTime.now(ZoneOffset.UTC)).executeUpdate()
                .flatMap(purged -> session
                        .createNativeQuery("insert into hook_delivery (source, delivery_id, expires_at) "
                                + "values (:source, :delivery, :expires) on conflict do nothing")
                        .setParameter("source", source).setParameter("delivery", deliveryId)
                        .setParameter("expires", keepUntil).executeUpdate())))
                .map(inserted -> inserted == 1);
    }
}
