package dev.byoos.artifact.config;

import java.nio.file.Path;

import io.smallrye.config.ConfigMapping;

/**
 * The ECDSA P-256 key pair every artifact digest is signed with, as PEM files: the private key in
 * PKCS#8 ({@code openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out signing.key}),
 * the public key as SubjectPublicKeyInfo ({@code openssl pkey -in signing.key -pubout -out signing.pub}).
 * The public key is what consumers verify with offline.
 */
@ConfigMapping(prefix = "byoos.artifact.signing")
public interface SigningConfig {

    Path privateKeyFile();

    Path publicKeyFile();
}
