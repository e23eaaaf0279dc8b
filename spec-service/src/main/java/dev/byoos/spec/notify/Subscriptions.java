package dev.byoos.spec.notify;

import java.security.SecureRandom;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.ws.rs.BadRequestException;
import jakarta.ws.rs.NotFoundException;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.annotation.JsonInclude;

import io.opentelemetry.instrumentation.annotations.WithSpan;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.Tuple;

import dev.byoos.service.TeamScope;

/**
 * Teams' notification subscriptions: created with a secret shown once (and stored only encrypted,
 * {@link SecretCipher}), listed and deleted within the caller's teams. Another team's subscription is reported as absent, so ids cannot be probed.
 */
@ApplicationScoped
public class Subscriptions {

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String COLUMNS = "id, team, url, event_types, created_by, created_at";

    private static final Logger LOG = Logger.getLogger(Subscriptions.class);

    private final Pool pool;
    private final ReceiverUrls urls;
    private final SecretCipher cipher;
    private final Duration timeout;

    public Subscriptions(Pool pool, NotificationConfig config, SecretCipher cipher) {
        this.pool = pool;
        this.urls = new ReceiverUrls(config.allowedHosts().orElse(List.of()));
        this.cipher = cipher;
        this.timeout = config.timeout();
    }

    /**
     * Encrypts, once at start, every secret not yet under the current key: those stored in plain
     * text before secrets were encrypted, and those under a previous key. A secret that does not
     * decrypt is left as it is (its deliveries record why). Also makes a missing or malformed key
     * stop the start. The dispatcher does the same for a secret it meets, so a row another replica
     * wrote meanwhile under an older key is caught too.
     */
    void onStart(@Observes StartupEvent event) {
        String keyId = cipher.currentKeyId(); // a missing or malformed key stops the start here
        int sealed;
        try {
            sealed = resealAll();
        } catch (RuntimeException e) {
            // The database busy or away at start must not keep the service down: the dispatcher
            // reseals each secret it meets, so the pass is an optimisation, not a requirement.
            LOG.warnf("the start-up pass over notification secrets did not finish (the dispatcher encrypts each "
                    + "secret it uses): %s", e.toString());
            return;
        }
        if (sealed > 0) {
            LOG.infof("encrypted %d notification subscription secret(s) under key %s", sealed, keyId);
        }
    }

    /** The start-up pass: how many secrets it stored anew under the current key. */
    int resealAll() {
        int sealed = 0;
        for (Row row : pool.preparedQuery("select id, secret from notification_subscription where secret not like $1")
                .execute(Tuple.of(SecretCipher.VERSION + ":" + cipher.currentKeyId() + ":%"))
                .await().atMost(timeout)) {
            UUID id = row.getUUID("id");
            try {
                SecretCipher.Opened opened = cipher.open(id, row.getString("secret"));
                reseal(id, row.getString("secret"), opened.secret()).await().atMost(timeout);
                sealed++;
            } catch (SecretCipher.UnreadableSecretException e) {
                LOG.warnf("notification subscription %s keeps its stored secret: %s", id, e.getMessage());
            }
        }
        return sealed;
    }

    /**
     * Stores {@code secret} sealed under the current key in place of {@code stored}, unless the row
     * changed meanwhile (another replica resealed it first).
     */
    Uni<Void> reseal(UUID id, String stored, String secret) {
        return pool.preparedQuery("update notification_subscription set secret = $3 where id = $1 and secret = $2")
                .execute(Tuple.of(id, stored, cipher.seal(id, secret))).replaceWithVoid();
    }

    /** A subscription as listed; {@code secret} only in the answer that created it. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Subscription(String id, String team, String url, List<String> eventTypes, String createdBy,
            OffsetDateTime createdAt, String secret, String href) {
        static Subscription of(Row row, String secret) {
            String id = row.getUUID("id").toString();
            return new Subscription(id, row.getString("team"), row.getString("url"),
                    List.of(row.getArrayOfStrings("event_types")), row.getString("created_by"),
                    row.getOffsetDateTime("created_at"), secret, "/api/v1/subscriptions/" + id);
        }
    }

    public record Request(String team, String url, List<String> eventTypes) {
    }

    /** @throws BadRequestException (as the failure) for a refused URL or an unknown event type */
    @WithSpan("notifications.subscribe")
    public Uni<Subscription> create(Request request, String createdBy) {
        return Uni.createFrom().deferred(() -> {
            String refusal = refusal(request);
            if (refusal != null) {
                return Uni.createFrom().failure(new BadRequestException(refusal));
            }
            byte[] key = new byte[32];
            RANDOM.nextBytes(key);
            String secret = Base64.getUrlEncoder().withoutPadding().encodeToString(key);
            String[] types = new LinkedHashSet<>(request.eventTypes()).toArray(String[]::new);
            UUID id = UUID.randomUUID();
            // Only the answer carries the secret in clear; the row holds it encrypted, bound to the id.
            return pool.preparedQuery("insert into notification_subscription (id, team, url, event_types, secret, "
                    + "created_by) values ($1, $2, $3, $4, $5, $6) returning " + COLUMNS)
                    .execute(Tuple.from(List.of(id, request.team(), request.url(), types, cipher.seal(id, secret),
                            createdBy)))
                    .map(rows -> Subscription.of(rows.iterator().next(), secret));
        });
    }

    /** The subscriptions of the caller's teams, or of {@code team} among them. */
    public Uni<List<Subscription>> list(TeamScope scope, String team) {
        List<Object> parameters = new ArrayList<>();
        String where = teamCondition(scope, team, parameters);
        return pool.preparedQuery("select " + COLUMNS + " from notification_subscription where " + where
                + " order by team, created_at, id").execute(Tuple.from(parameters))
                .map(rows -> all(rows).stream().map(row -> Subscription.of(row, null)).toList());
    }

    /** Deletes a subscription of the caller's teams, and its deliveries with it. */
    @WithSpan("notifications.unsubscribe")
    public Uni<Void> delete(String id, TeamScope scope) {
        UUID subscription = parse(id);
        return pool.preparedQuery("delete from notification_subscription where id = $1 and "
                + teamCondition(scope, null, new ArrayList<>(List.of(subscription))) + " returning id")
                .execute(teamParameters(scope, subscription))
                .invoke(rows -> {
                    if (rows.rowCount() == 0) {
                        throw new NotFoundException("no subscription " + id);
                    }
                })
                .replaceWithVoid();
    }

    /** The id of a subscription of the caller's teams. */
    public Uni<UUID> owned(String id, TeamScope scope) {
        UUID subscription = parse(id);
        return pool.preparedQuery("select id from notification_subscription where id = $1 and "
                + teamCondition(scope, null, new ArrayList<>(List.of(subscription))))
                .execute(teamParameters(scope, subscription))
                .map(rows -> {
                    if (rows.rowCount() == 0) {
                        throw new NotFoundException("no subscription " + id);
                    }
                    return subscription;
                });
    }

    private String refusal(Request request) {
        if (request == null || request.team() == null || request.team().isBlank() || request.url() == null
                || request.eventTypes() == null || request.eventTypes().isEmpty()) {
            return "a subscription needs team, url and eventTypes (one or more of " + NotificationTypes.ALL + ")";
        }
        Optional<String> unknown = request.eventTypes().stream().filter(type -> !NotificationTypes.ALL.contains(type))
                .findFirst();
        if (unknown.isPresent()) {
            return "eventTypes: '" + unknown.get() + "' is not one of " + NotificationTypes.ALL;
        }
        return urls.refusal(request.url()).map(why -> "url: " + why).orElse(null);
    }

    /** The SQL condition on {@code team} for the scope (and the optional team filter); adds its parameters. */
    private static String teamCondition(TeamScope scope, String team, List<Object> parameters) {
        StringBuilder where = new StringBuilder("true");
        if (!scope.allTeams()) {
            parameters.add(scope.teams().toArray(String[]::new));
            where.append(" and team = any($").append(parameters.size()).append(")");
        }
        if (team != null && !team.isBlank()) {
            parameters.add(team);
            where.append(" and team = $").append(parameters.size());
        }
        return where.toString();
    }

    private static Tuple teamParameters(TeamScope scope, UUID subscription) {
        List<Object> parameters = new ArrayList<>(List.of(subscription));
        teamCondition(scope, null, parameters);
        return Tuple.from(parameters);
    }

    static List<Row> all(RowSet<Row> rows) {
        List<Row> list = new ArrayList<>();
        rows.forEach(list::add);
        return list;
    }

    static UUID parse(String id) {
        try {
            return UUID.fromString(id);
        } catch (IllegalArgumentException e) {
            throw new NotFoundException("no subscription " + id + " (subscription ids are UUIDs)");
        }
    }
}
