package dev.byoos.testsupport;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.util.HashMap;
import java.util.Map;


/**
 * Points a Quarkus test at the per-JVM {@link TestStack}:
 * <pre>{@code
 * @QuarkusTestResource(value = DevStackResource.class, initArgs = @ResourceArg(name = "database", value = "spec_service"))
 * }</pre>
 * Without the {@code database} arg no datasource configuration is returned.
 */
public class DevStackResource implements QuarkusTestResourceLifecycleManager {

    public static final String DATABASE_ARG = "database";

    private String database;

    @Override
    public void init(Map<String, String> initArgs) {
        String value = initArgs.get(DATABASE_ARG);
        database = value == null || value.isBlank() ? null : value.trim();
    }

    @Override
    public Map<String, String> start() {
        Endpoints endpoints = TestStack.endpoints();
        Map<String, String> config = new HashMap<>();
        config.put("kafka.bootstrap.servers", endpoints.kafkaBootstrapServers());
        if (database != null) {
            config.put("quarkus.datasource.reactive.url", endpoints.reactivePostgresUrl(database));
            config.put("quarkus.datasource.jdbc.url", endpoints.jdbcUrl(database));
            config.put("quarkus.datasource.username", endpoints.postgresUsername());
            config.put("quarkus.datasource.password", endpoints.postgresPassword());
        }
        config.put("byoos.s3.endpoint", endpoints.s3Endpoint());
        config.put("byoos.s3.region", endpoints.s3Region());
        config.put("byoos.s3.access-key", endpoints.s3AccessKey());
        config.put("byoos.s3.secret-key", endpoints.s3SecretKey());
        config.put("byoos.s3.staging-bucket", endpoints.s3StagingBucket());
        config.put("byoos.s3.artifacts-bucket", endpoints.s3ArtifactsBucket());
        config.put("byoos.registry.url", endpoints.registryUrl());
        // Services with a user API verify bearer tokens; tests mint theirs with TestTokens.
        config.put("mp.jwt.verify.publickey.location", TestTokens.issuer().publicKeyFile().toAbsolutePath().toString());
        config.put("mp.jwt.verify.issuer", dev.byoos.localauth.LocalTokens.ISSUER);
        // The signing key pair, under the variable names the services' properties read it from.
        config.put("BYOOS_SIGNING_PRIVATE_KEY_FILE", TestTokens.signingKeys().privateKeyFile().toAbsolutePath().toString());
        config.put("BYOOS_SIGNING_PUBLIC_KEY_FILE", TestTokens.signingKeys().publicKeyFile().toAbsolutePath().toString());
        // The stack is provided here: Dev Services would try to start containers of their own.
        config.put("quarkus.devservices.enabled", "false");
        return config;
    }

    @Override
    public void stop() {
        // Nothing: the stack is shared by every test class in this JVM and stops when the JVM exits.
    }
}
