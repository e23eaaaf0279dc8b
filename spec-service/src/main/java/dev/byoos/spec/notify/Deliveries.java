package dev.byoos.spec.notify;

import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ws.rs.NotFoundException;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;

/**
 * The deliveries of notifications: queued by whoever handles an event, in that handler's own
 * transaction (a handler only inserts rows, so a receiver that is down never slows it), listed
 * attempt by attempt, and queued again on request. Sent by {@link DeliveryDispatcher}.
 */
@ApplicationScoped
public class Deliveries {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Pool pool;

    public Deliveries(Pool pool) {
        this.pool = pool;
    }

    /**
     * Queues the event for every subscription of {@code team} to its type, with {@code client}: a
     * connection inside the caller's transaction, or the pool for a statement of its own. One
     * delivery per subscription and event id: an event handled again (a redelivered Kafka record)
     * queues nothing more.
     *
     * @param data the event's JSON data, sent as the CloudEvent's {@code data}
     */
    public Uni<Void> enqueue(SqlClient client, String team, String eventId, String type, String source,
            OffsetDateTime time, String subject, String data) {
        if (!NotificationTypes.ALL.contains(type)) {
            return Uni.createFrom().voidItem();
        }
        String payload = cloudEvent(eventId, type, source, time, subject, data);
        return client.preparedQuery("""
                insert into notification_delivery (id, subscription_id, event_id, event_type, payload)
                select gen_random_uuid(), s.id, $1, $2, $3 from notification_subscription s
                where s.team = $4 and $2 = any (s.event_types)
                on conflict (subscription_id, event_id) do nothing""")
                .execute(Tuple.of(eventId, type, payload, team))
                .replaceWithVoid();
    }

    /** {@link #enqueue(SqlClient, String, String, String, String, OffsetDateTime, String, String)} on its own. */
    public Uni<Void> enqueue(String team, String eventId, String type, String source, OffsetDateTime time,
            String subject, String data) {
        return enqueue(pool, team, eventId, type, source, time, subject, data);
    }

    /** A structured-mode CloudEvent: the attributes of the event as received, its data as JSON. */
    static String cloudEvent(String eventId, String type, String source, OffsetDateTime time, String subject,
            String data) {
        ObjectNode event = JSON.createObjectNode().put("specversion", "1.0").put("id", eventId).put("source", source)
                .put("type", type).put("time", time.toString()).put("datacontenttype", "application/json");
        if (subject != null) {
            event.put("subject", subject);
        }
        try {
            event.set("data", JSON.readTree(data));
            return JSON.writeValueAsString(event);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("event " + eventId + " of type " + type + " has no JSON data", e);
        }
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Delivery(String id, String eventId, String eventType, String state, int attempts,
            OffsetDateTime createdAt, OffsetDateTime nextAttemptAt, OffsetDateTime deliveredAt, List<Attempt> log) {
    }

    /** One attempt: the receiver's HTTP status, or the error that kept it from answering. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Attempt(int number, OffsetDateTime at, Integer status, String error) {
    }

    /** A subscription's deliveries, newest first, each with every attempt made. */
    public Uni<List<Delivery>> log(UUID subscription, int limit) {
        return pool.preparedQuery("""
                select d.id, d.event_id, d.event_type, d.state, d.attempts, d.created_at, d.next_attempt_at,
                       d.delivered_at, a.number, a.attempted_at, a.status, a.error
                from (select * from notification_delivery where subscription_id = $1
                      order by created_at desc, id limit $2) d
                left join notification_attempt a on a.delivery_id = d.id
                order by d.created_at desc, d.id, a.number""")
                .execute(Tuple.of(subscription, limit))
                .map(rows -> {
                    Map<UUID, Delivery> deliveries = new LinkedHashMap<>();
                    for (Row row : rows) {
                        Delivery delivery = deliveries.computeIfAbsent(row.getUUID("id"), id -> delivery(row));
                        if (row.getInteger("number") != null) {
                            delivery.log().add(new Attempt(row.getInteger("number"),
                                    row.getOffsetDateTime("attempted_at"), row.getInteger("status"),
                                    row.getString("error")));
                        }
                    }
                    return List.copyOf(deliveries.values());
                });
    }

    /**
     * Queues a delivery again, due now, with a fresh allowance of attempts. The CloudEvent is the
     * same, id included: receivers deduplicate by it.
     */
    public Uni<Delivery> redeliver(UUID subscription, String deliveryId) {
        UUID id;
        try {
            id = UUID.fromString(deliveryId);
        } catch (IllegalArgumentException e) {
            return Uni.createFrom().failure(new NotFoundException("no delivery " + deliveryId
                    + " (delivery ids are UUIDs)"));
        }
        return pool.preparedQuery("""
                update notification_delivery set state = 'PENDING', round_attempts = 0, next_attempt_at = now()
                where id = $1 and subscription_id = $2
                returning id, event_id, event_type, state, attempts, created_at, next_attempt_at, delivered_at""")
                .execute(Tuple.of(id, subscription))
                .map(rows -> {
                    if (rows.rowCount() == 0) {
                        throw new NotFoundException("no delivery " + deliveryId + " of subscription " + subscription);
                    }
                    return delivery(rows.iterator().next());
                });
    }

    private static Delivery delivery(Row row) {
        return new Delivery(row.getUUID("id").toString(), row.getString("event_id"), row.getString("event_type"),
                row.getString("state"), row.getInteger("attempts"), row.getOffsetDateTime("created_at"),
                "PENDING".equals(row.getString("state")) ? row.getOffsetDateTime("next_attempt_at") : null,
                row.getOffsetDateTime("delivered_at"), new ArrayList<>());
    }
}
