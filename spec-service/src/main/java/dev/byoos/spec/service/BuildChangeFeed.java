package dev.byoos.spec.service;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.operators.multi.processors.BroadcastProcessor;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.pgclient.pubsub.PgSubscriber;
import io.vertx.pgclient.PgConnectOptions;

/**
 * Every change to any build, as this replica's database announces it. The {@code build_changed}
 * trigger notifies channel {@value #CHANNEL} when a transaction that changed a build commits, and
 * every spec-service replica listens on it: each one streams every change, whichever replica (or
 * which Kafka partition's consumer) made it. A poll of the build table would see the same, later,
 * and could skip rows whose transactions commit out of order.
 *
 * <p>Notifications sent while the listening connection is down are lost; after it reconnects the
 * feed says {@link PipelineUpdate.Resync} so that viewers reload what they show.
 */
@ApplicationScoped
public class BuildChangeFeed {

    /** The notification channel of the {@code build_changed} trigger (V5 migration). */
    public static final String CHANNEL = "byoos_build_changed";

    private static final Logger LOG = Logger.getLogger(BuildChangeFeed.class);
    private static final long RECONNECT_DELAY_MILLIS = 1000;

    /** What the feed carries: a changed build, or word that changes may have been missed. */
    public sealed interface PipelineUpdate {

        /** @param build the build as {@code GET /api/v1/builds} lists it (JSON) */
        record BuildChanged(String team, String build) implements PipelineUpdate {
        }

        record Resync() implements PipelineUpdate {
        }
    }

    private final Vertx vertx;
    private final ObjectMapper json;
    private final String databaseUrl;
    private final String databaseUser;
    private final String databasePassword;
    private final BroadcastProcessor<PipelineUpdate> updates = BroadcastProcessor.create();
    private PgSubscriber subscriber;
    private boolean listenedBefore;

    /** Its own connection, with the datasource's settings: LISTEN needs one that the pool does not hand around. */
    public BuildChangeFeed(Vertx vertx, ObjectMapper json,
            @ConfigProperty(name = "quarkus.datasource.reactive.url") String databaseUrl,
            @ConfigProperty(name = "quarkus.datasource.username") String databaseUser,
            @ConfigProperty(name = "quarkus.datasource.password") String databasePassword) {
        this.vertx = vertx;
        this.json = json;
        this.databaseUrl = databaseUrl;
        this.databaseUser = databaseUser;
        this.databasePassword = databasePassword;
    }

    void listen(@Observes StartupEvent started) {
        PgConnectOptions options = PgConnectOptions.fromUri(databaseUrl.replaceFirst("^vertx-reactive:", ""))
                .setUser(databaseUser)
                .setPassword(databasePassword);
        subscriber = PgSubscriber.subscriber(vertx, options)
                // Keep trying for as long as the service runs: the page must come back by itself.
                .reconnectPolicy(retries -> RECONNECT_DELAY_MILLIS);
        subscriber.channel(CHANNEL)
                .subscribeHandler(this::listening)
                .handler(this::announce);
        subscriber.connect().subscribe().with(
                connected -> LOG.debugf("listening for build changes on %s", CHANNEL),
                failure -> LOG.warnf("cannot listen for build changes yet: %s", failure.getMessage()));
    }

    void stop(@Observes ShutdownEvent stopping) {
        if (subscriber != null) {
            subscriber.closeAndAwait();
        }
    }

    /** Every update from now on (a hot stream: a subscriber sees what is announced after it subscribed). */
    public Multi<PipelineUpdate> updates() {
        return updates;
    }

    private void listening() {
        if (listenedBefore) {
            updates.onNext(new PipelineUpdate.Resync());
        }
        listenedBefore = true;
    }

    private void announce(String payload) {
        try {
            JsonNode build = json.readTree(payload);
            updates.onNext(new PipelineUpdate.BuildChanged(build.path("team").asText(), payload));
        } catch (JsonProcessingException e) {
            LOG.warnf("ignoring an unreadable build change notification: %s", e.getMessage());
        }
    }
}
