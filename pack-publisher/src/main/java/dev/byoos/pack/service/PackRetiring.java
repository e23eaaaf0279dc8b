package dev.byoos.pack.service;

import java.time.Duration;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ws.rs.BadRequestException;
import jakarta.ws.rs.ServiceUnavailableException;

import org.eclipse.microprofile.reactive.messaging.Channel;
import org.jboss.logging.Logger;

import io.opentelemetry.instrumentation.annotations.WithSpan;
import io.smallrye.reactive.messaging.MutinyEmitter;

import dev.byoos.contract.Topics;
import dev.byoos.messaging.CloudEventMessages;
import dev.byoos.messaging.resilience.DependencyUnavailableException;
import dev.byoos.pack.registry.RegistryException;
import dev.byoos.pack.repository.PackRetirements;
import dev.byoos.pack.repository.PackRetirements.Action;
import dev.byoos.pack.repository.PackRetirements.Retired;
import dev.byoos.pack.repository.VersionLifecycle;
import dev.byoos.service.TeamScope;

/**
 * Deprecates and revokes published pack versions: records the action in the catalog, marks a
 * revocation in the registry ({@link RevocationMarker}), then announces it on
 * {@value Topics#PACKS_RETIRED}. The marker and the announcement are made on every request, the
 * repeated ones included, with the CloudEvent id of the first (stable per build and type): a send
 * that failed after the catalog was written is made good by repeating the request, and consumers
 * see one event id however often it comes.
 */
@ApplicationScoped
public class PackRetiring {

    /** Long enough for any honest explanation; the reason goes into events and registry annotations. */
    public static final int MAX_REASON_LENGTH = 1000;
    private static final Duration SEND_TIMEOUT = Duration.ofSeconds(30);
    private static final Logger LOG = Logger.getLogger(PackRetiring.class);

    private final PackRetirements retirements;
    private final RevocationMarker marker;
    private final MutinyEmitter<String> retired;

    public PackRetiring(PackRetirements retirements, RevocationMarker marker,
            @Channel(Topics.PACKS_RETIRED) MutinyEmitter<String> retired) {
        this.retirements = retirements;
        this.marker = marker;
        this.retired = retired;
    }

    /**
     * @param actor who asks (the token's name), recorded with the action
     * @param scope the caller's teams: another team's pack is not found
     * @throws BadRequestException         a missing, blank or overlong reason
     * @throws ServiceUnavailableException the action is recorded but the registry could not be marked or
     *         its event not be sent
     */
    @WithSpan
    public VersionLifecycle retire(String pack, String version, Action action, String reason, String actor,
            TeamScope scope) {
        // Control characters would forge lines in logs and in the build timeline that repeat the reason.
        if (reason == null || reason.isBlank() || reason.length() > MAX_REASON_LENGTH
                || reason.codePoints().anyMatch(Character::isISOControl)) {
            throw new BadRequestException("a " + action.label() + " version needs a reason: a non-blank \"reason\" "
                    + "of at most " + MAX_REASON_LENGTH + " characters, without control characters");
        }
        Retired outcome = retirements.retire(pack, version, action, reason.strip(), actor, scope);
        if (outcome.changed()) {
            LOG.infof("%s:%s %s by %s: %s", pack, version, action.label(), actor, outcome.announcement().reason());
        }
        if (action == Action.REVOKED) {
            markInRegistry(outcome);
        }
        announce(action, outcome);
        return outcome.lifecycle();
    }

    private void markInRegistry(Retired outcome) {
        try {
            marker.mark(outcome.reference(), outcome.announcement());
        } catch (RegistryException | DependencyUnavailableException e) {
            throw new ServiceUnavailableException(outcome.reference() + " is recorded as revoked, but the registry "
                    + "could not be marked (" + e.getMessage() + "); repeat the request to mark it");
        }
    }

    private void announce(Action action, Retired outcome) {
        try {
            retired.sendMessage(CloudEventMessages.forBuild(outcome.announcement().buildId(), action.eventType,
                    outcome.announcement())).await().atMost(SEND_TIMEOUT);
        } catch (RuntimeException e) {
            throw new ServiceUnavailableException(outcome.announcement().pack() + ":" + outcome.announcement().version()
                    + " is recorded as " + action.label() + ", but its " + action.eventType
                    + " event could not be sent (" + e.getMessage() + "); repeat the request to announce it");
        }
    }
}
