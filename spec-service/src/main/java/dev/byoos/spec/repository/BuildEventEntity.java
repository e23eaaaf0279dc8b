package dev.byoos.spec.repository;

import java.time.OffsetDateTime;
import java.util.UUID;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import io.smallrye.mutiny.Uni;

/** One pipeline event applied to a build: the build's timeline and the consumer's dedup record. */
@Entity
@Table(name = "build_event")
public class BuildEventEntity extends PanacheEntityBase {

    @Id
    @Column(name = "event_id")
    public String eventId;
    @Column(name = "build_id")
    public UUID buildId;
    @Column(name = "event_type")
    public String eventType;
    public String source;
    @Column(name = "occurred_at")
    public OffsetDateTime occurredAt;
    @Column(name = "received_at")
    public OffsetDateTime receivedAt;
    public String summary;

    /**
     * Records the event unless it was recorded before.
     *
     * @return true when this is the first delivery of the event
     */
    public static Uni<Boolean> recordFirstDelivery(String eventId, UUID buildId, String type, String source,
            OffsetDateTime occurredAt, String summary) {
        return getSession().flatMap(session -> session.createNativeQuery(
                "insert into build_event (event_id, build_id, event_type, source, occurred_at, received_at, summary) "
                        + "values (?1, ?2, ?3, ?4, ?5, now(), ?6) on conflict (event_id) do nothing")
                .setParameter(1, eventId)
                .setParameter(2, buildId)
                .setParameter(3, type)
                .setParameter(4, source)
                .setParameter(5, occurredAt)
                .setParameter(6, summary)
                .executeUpdate())
                .map(inserted -> inserted == 1);
    }
}
