package dev.byoos.pack.repository;

import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.LockModeType;
import jakarta.ws.rs.ClientErrorException;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Response;

import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.vertx.VertxContextSupport;
import io.smallrye.mutiny.Uni;

import dev.byoos.contract.EventTypes;
import dev.byoos.contract.PackRetired;
import dev.byoos.service.TeamScope;

/**
 * Records deprecations and revocations in the catalog and its audit trail. Each is set once and
 * never undone: the same action again changes nothing (the first reason, actor and time stand), a
 * revoked version cannot be deprecated, a deprecated one can be revoked. The version's row is locked
 * while it is marked, so two requests at once record one action, not two.
 */
@ApplicationScoped
public class PackRetirements {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    /** A lifecycle action and the event that announces it. */
    public enum Action {
        DEPRECATED(EventTypes.PACK_DEPRECATED), REVOKED(EventTypes.PACK_REVOKED);

        public final String eventType;

        Action(String eventType) {
            this.eventType = eventType;
        }

        /** The name in the audit trail and in messages. */
        public String label() {
            return name().toLowerCase();
        }
    }

    /**
     * @param announcement the event for the action as first recorded (so a repeat announces the same)
     * @param reference    the version's {@code host[:port]/<repository>:<version>}
     * @param changed      false when the version carried the mark already
     */
    public record Retired(PackRetired announcement, VersionLifecycle lifecycle, String reference, boolean changed) {
    }

    /**
     * Marks a published version of a pack the scope can see.
     *
     * @throws NotFoundException     no such pack (or another team's) or no such published version
     * @throws ClientErrorException  409 when deprecating a revoked version
     */
    public Retired retire(String name, String version, Action action, String reason, String actor, TeamScope scope) {
        try {
            return VertxContextSupport.subscribeAndAwait(() -> Panache.withTransaction(
                    () -> PackEntity.findByName(name).flatMap(pack -> {
                        if (pack == null || !scope.includes(pack.team)) {
                            return Uni.createFrom().failure(new NotFoundException("no pack named " + name));
                        }
                        return PackVersionEntity.<PackVersionEntity>find(
                                "pack = ?1 and version = ?2 and publishedAt is not null", pack, version)
                                .withLock(LockModeType.PESSIMISTIC_WRITE).firstResult()
                                .flatMap(found -> found == null
                                        ? Uni.createFrom().failure(
                                                new NotFoundException("pack " + name + " has no version " + version))
                                        : mark(pack, found, action, reason, actor));
                    })).ifNoItem().after(TIMEOUT).fail());
        } catch (WebApplicationException e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException("could not record " + name + ":" + version + " as " + action.label()
                    + " in the pack catalog: " + e.getMessage(), e);
        }
    }

    private static Uni<Retired> mark(PackEntity pack, PackVersionEntity version, Action action, String reason,
            String actor) {
        boolean changed = switch (action) {
            case DEPRECATED -> {
                if (version.revokedAt != null) {
                    throw new ClientErrorException("pack " + pack.name + ":" + version.version + " was revoked on "
                            + version.revokedAt + "; a revoked version stays revoked and is not deprecated",
                            Response.Status.CONFLICT);
                }
                yield version.deprecatedAt == null;
            }
            case REVOKED -> version.revokedAt == null;
        };
        if (!changed) {
            return Uni.createFrom().item(retired(pack, version, action, false));
        }
        OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC).truncatedTo(ChronoUnit.MILLIS);
        if (action == Action.DEPRECATED) {
            version.deprecatedAt = now;
            version.deprecatedBy = actor;
            version.deprecationReason = reason;
        } else {
            version.revokedAt = now;
            version.revokedBy = actor;
            version.revocationReason = reason;
        }
        PackAuditEntity entry = new PackAuditEntity();
        entry.id = UUID.randomUUID();
        entry.pack = pack;
        entry.version = version.version;
        entry.action = action.label();
        entry.reason = reason;
        entry.actor = actor;
        entry.at = now;
        return entry.persist().map(persisted -> retired(pack, version, action, true));
    }

    private static Retired retired(PackEntity pack, PackVersionEntity version, Action action, boolean changed) {
        boolean deprecation = action == Action.DEPRECATED;
        OffsetDateTime at = deprecation ? version.deprecatedAt : version.revokedAt;
        PackRetired announcement = new PackRetired(pack.name, version.version, pack.team, version.buildId,
                version.manifestDigest, version.artifactSha256,
                deprecation ? version.deprecationReason : version.revocationReason,
                deprecation ? version.deprecatedBy : version.revokedBy,
                at.withOffsetSameInstant(ZoneOffset.UTC).format(DateTimeFormatter.ISO_OFFSET_DATE_TIME));
        return new Retired(announcement, VersionLifecycle.of(version), version.reference, changed);
    }
}
