package dev.byoos.pack.registry;

import java.nio.file.Files;
import java.util.Map;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import dev.byoos.testsupport.RegistryProcess;

/** Points the publisher at a registry of the test's own that takes only bearer tokens from {@link RegistryTokenService}. */
public class TokenAuthRegistryResource implements QuarkusTestResourceLifecycleManager {

    static final String USERNAME = "byoos-publisher";
    static final String PASSWORD = "token-realm-secret";

    static RegistryTokenService tokens;
    static RegistryProcess registry;

    @Override
    public Map<String, String> start() {
        try {
            tokens = new RegistryTokenService(Files.createTempDirectory("byoos-test-token-service-"), USERNAME, PASSWORD);
            registry = RegistryProcess.startWithTokenAuth(tokens.realm(), RegistryTokenService.SERVICE,
                    RegistryTokenService.ISSUER, tokens.certificateFile());
        } catch (Exception e) {
            throw new IllegalStateException("could not start the token-authenticated registry", e);
        }
        return Map.of("byoos.publisher.registry.url", registry.url(),
                "byoos.publisher.registry.username", USERNAME,
                "byoos.publisher.registry.password", PASSWORD);
    }

    @Override
    public void stop() {
        try {
            registry.close();
        } catch (Exception e) {
            throw new IllegalStateException("could not stop the token-authenticated registry", e);
        } finally {
            tokens.close();
        }
    }
}
