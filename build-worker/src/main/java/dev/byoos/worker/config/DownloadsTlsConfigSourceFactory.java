package dev.byoos.worker.config;

import java.util.List;
import java.util.Map;

import org.eclipse.microprofile.config.spi.ConfigSource;

import io.smallrye.config.ConfigSourceContext;
import io.smallrye.config.ConfigSourceFactory;
import io.smallrye.config.ConfigValue;
import io.smallrye.config.PropertiesConfigSource;

/**
 * Turns {@code byoos.worker.downloads.ca-certificate} (env {@code BYOOS_DOWNLOADS_CA_CERTIFICATE})
 * into the TLS configuration {@code byoos-downloads} that tarball downloads trust on top of the Java
 * runtime's CAs: Quarkus's TLS registry reads the PEM files. Only when the setting is there: a
 * TLS configuration without certificates stops the worker from starting. A
 * {@code quarkus.tls.byoos-downloads.*} of the operator's own takes precedence (this source's
 * ordinal is below application.properties').
 */
public class DownloadsTlsConfigSourceFactory implements ConfigSourceFactory {

    static final String CA_CERTIFICATE = "byoos.worker.downloads.ca-certificate";
    static final String TRUSTED_CERTIFICATES = "quarkus.tls.byoos-downloads.trust-store.pem.certs";
    private static final int ORDINAL = 100;

    @Override
    public Iterable<ConfigSource> getConfigSources(ConfigSourceContext context) {
        ConfigValue caCertificate = context.getValue(CA_CERTIFICATE);
        if (caCertificate == null || caCertificate.getValue() == null || caCertificate.getValue().isBlank()) {
            return List.of();
        }
        return List.of(new PropertiesConfigSource(Map.of(TRUSTED_CERTIFICATES, caCertificate.getValue()),
                "byoos-downloads TLS configuration", ORDINAL));
    }
}
