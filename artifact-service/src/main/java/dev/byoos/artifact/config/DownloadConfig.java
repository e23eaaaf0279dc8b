package dev.byoos.artifact.config;

import java.net.URI;
import java.time.Duration;
import java.util.Optional;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** Presigned download URLs: anyone holding one can read the artifact until it expires, so expiry is bounded. */
@ConfigMapping(prefix = "byoos.artifact.downloads")
public interface DownloadConfig {

    /** When the caller asks for no particular expiry. */
    @WithDefault("PT15M")
    Duration defaultExpiry();

    /** The longest expiry a caller may ask for; longer requests are refused (400). S3 allows at most 7 days. */
    @WithDefault("PT1H")
    Duration maxExpiry();

    /**
     * The S3 endpoint presigned URLs name ({@code http(s)://host[:port]}), when users reach S3 by
     * another address than the services do ({@code byoos.s3.endpoint}, often cluster-internal). The
     * signature covers the host, so URLs are signed for this one, not rewritten. Unset: the
     * internal endpoint.
     */
    Optional<URI> publicEndpoint();
}
