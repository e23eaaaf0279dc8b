package dev.byoos.pack.repository;

import java.time.OffsetDateTime;

/**
 * Where a published version stands: {@value #PUBLISHED}, {@value #DEPRECATED} or {@value #REVOKED}
 * (the strongest mark wins), with who marked it, when and why.
 *
 * @param deprecated null unless deprecated (kept when the version was revoked afterwards)
 * @param revoked    null unless revoked
 */
public record VersionLifecycle(String state, Mark deprecated, Mark revoked) {

    public static final String PUBLISHED = "published";
    public static final String DEPRECATED = "deprecated";
    public static final String REVOKED = "revoked";

    public record Mark(String reason, String by, OffsetDateTime at) {
    }

    public static VersionLifecycle of(PackVersionEntity version) {
        Mark deprecated = version.deprecatedAt == null ? null
                : new Mark(version.deprecationReason, version.deprecatedBy, version.deprecatedAt);
        Mark revoked = version.revokedAt == null ? null
                : new Mark(version.revocationReason, version.revokedBy, version.revokedAt);
        String state = revoked != null ? REVOKED : deprecated != null ? DEPRECATED : PUBLISHED;
        return new VersionLifecycle(state, deprecated, revoked);
    }
}
