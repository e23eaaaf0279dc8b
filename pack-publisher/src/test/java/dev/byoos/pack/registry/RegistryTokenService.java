package dev.byoos.pack.registry;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

/**
 * A token service for a distribution registry with token auth, as a test's own: checks Basic
 * credentials and hands out RS256 JWTs granting the requested repository scope, signed by a
 * self-signed certificate ({@code openssl req -x509}) that the registry trusts as its root bundle
 * and that each token names in its {@code x5c} header.
 */
final class RegistryTokenService implements AutoCloseable {

    static final String SERVICE = "byoos-test-registry";
    static final String ISSUER = "byoos-test-token-service";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpServer server;
    private final PrivateKey key;
    private final String certificate;
    private final Path certificateFile;
    private final String expectedAuthorization;
    private final AtomicInteger tokensIssued = new AtomicInteger();

    RegistryTokenService(Path dir, String username, String password) throws Exception {
        Path keyFile = dir.resolve("token-key.pem");
        certificateFile = dir.resolve("token-cert.pem");
        Process openssl = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                "-keyout", keyFile.toString(), "-out", certificateFile.toString(), "-days", "1",
                "-subj", "/CN=" + ISSUER).redirectErrorStream(true).start();
        String output = new String(openssl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (openssl.waitFor() != 0) {
            throw new IllegalStateException("openssl failed: " + output);
        }
        key = KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(pem(keyFile)));
        certificate = Base64.getEncoder().encodeToString(CertificateFactory.getInstance("X.509")
                .generateCertificate(Files.newInputStream(certificateFile)).getEncoded());
        expectedAuthorization = "Basic " + Base64.getEncoder()
                .encodeToString((username + ":" + password).getBytes(StandardCharsets.UTF_8));
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/token", this::issue);
        server.start();
    }

    String realm() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/token";
    }

    Path certificateFile() {
        return certificateFile;
    }

    int tokensIssued() {
        return tokensIssued.get();
    }

    private void issue(HttpExchange exchange) throws IOException {
        try (exchange) {
            if (!expectedAuthorization.equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
                exchange.sendResponseHeaders(401, -1);
                return;
            }
            List<Map<String, Object>> access = new ArrayList<>();
            String service = null;
            String query = exchange.getRequestURI().getRawQuery();
            for (String parameter : query == null ? new String[0] : query.split("&")) {
                String[] pair = parameter.split("=", 2);
                String value = URLDecoder.decode(pair.length > 1 ? pair[1] : "", StandardCharsets.UTF_8);
                if (pair[0].equals("service")) {
                    service = value;
                } else if (pair[0].equals("scope")) {
                    // repository:<name>:<actions>; the name may contain no ':' (no port in repository names)
                    String[] scope = value.split(":");
                    access.add(Map.of("type", scope[0], "name", scope[1], "actions", List.of(scope[2].split(","))));
                }
            }
            Instant now = Instant.now();
            Map<String, Object> claims = new LinkedHashMap<>();
            claims.put("iss", ISSUER);
            claims.put("sub", "byoos-publisher");
            claims.put("aud", service);
            claims.put("exp", now.plusSeconds(300).getEpochSecond());
            claims.put("nbf", now.minusSeconds(30).getEpochSecond());
            claims.put("iat", now.getEpochSecond());
            claims.put("jti", UUID.randomUUID().toString());
            claims.put("access", access);
            String token = sign(Map.of("alg", "RS256", "typ", "JWT", "x5c", List.of(certificate)), claims);
            byte[] body = JSON.writeValueAsBytes(Map.of("token", token, "expires_in", 300));
            tokensIssued.incrementAndGet();
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
        } catch (Exception e) {
            throw new IOException("issuing a token failed", e);
        }
    }

    private String sign(Map<String, Object> header, Map<String, Object> claims) throws Exception {
        Base64.Encoder url = Base64.getUrlEncoder().withoutPadding();
        String signingInput = url.encodeToString(JSON.writeValueAsBytes(header)) + "."
                + url.encodeToString(JSON.writeValueAsBytes(claims));
        Signature rsa = Signature.getInstance("SHA256withRSA");
        rsa.initSign(key);
        rsa.update(signingInput.getBytes(StandardCharsets.US_ASCII));
        return signingInput + "." + url.encodeToString(rsa.sign());
    }

    private static byte[] pem(Path file) throws IOException {
        String text = Files.readString(file);
        return Base64.getMimeDecoder().decode(text.replaceAll("-----[A-Z ]+-----", ""));
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
