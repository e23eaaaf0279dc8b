package dev.byoos.worker.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;

import org.junit.jupiter.api.Test;

import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;

/** The downloads' extra CAs reach Quarkus's TLS registry as the configuration byoos-downloads, and only when set. */
class DownloadsTlsConfigSourceFactoryTest {

    private static SmallRyeConfig config(Map<String, String> properties) {
        return new SmallRyeConfigBuilder()
                .withSources(new PropertiesConfigSource(properties, "test", 250))
                .withSources(new DownloadsTlsConfigSourceFactory())
                .build();
    }

    @Test
    void theWorkersCaCertificateSettingBecomesTheTrustStoreOfTheDownloadsTlsConfiguration() {
        SmallRyeConfig config = config(Map.of(DownloadsTlsConfigSourceFactory.CA_CERTIFICATE, "/etc/byoos/corp-ca.pem"));
        assertEquals("/etc/byoos/corp-ca.pem",
                config.getRawValue(DownloadsTlsConfigSourceFactory.TRUSTED_CERTIFICATES));
    }

    @Test
    void withoutTheSettingThereIsNoDownloadsTlsConfiguration() {
        SmallRyeConfig config = config(Map.of(DownloadsTlsConfigSourceFactory.CA_CERTIFICATE, ""));
        assertTrue(config.getOptionalValue(DownloadsTlsConfigSourceFactory.TRUSTED_CERTIFICATES, String.class)
                .isEmpty());
        for (String name : config.getPropertyNames()) {
            assertTrue(!name.startsWith("quarkus.tls."), name);
        }
    }
}
