package dev.byoos.spec.repository;

import java.time.OffsetDateTime;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;

/** An event waiting to be published; written in the same transaction as the change it announces. */
@Entity
@Table(name = "outbox")
public class OutboxEntity extends PanacheEntityBase {

    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    public Long id;
    @Column(name = "event_id")
    public String eventId;
    public String topic;
    @Column(name = "event_type")
    public String eventType;
    @Column(name = "message_key")
    public String messageKey;
    public String payload;
    @Column(name = "created_at")
    public OffsetDateTime createdAt;
    @Column(name = "published_at")
    public OffsetDateTime publishedAt;
    /** When the relay gave up on the record because Kafka refuses it for good; never sent after. */
    @Column(name = "set_aside_at")
    public OffsetDateTime setAsideAt;
    @Column(name = "set_aside_reason")
    public String setAsideReason;
    /** The W3C traceparent of the request that wrote the record, continued when it is published. */
    @Column(name = "trace_parent")
    public String traceParent;
}
