package dev.byoos.service;

import java.util.Optional;

import jakarta.enterprise.event.Observes;

import org.eclipse.microprofile.config.ConfigProvider;

import io.quarkus.runtime.StartupEvent;

/**
 * Refuses to start without a token verification key. Without one every request would be refused
 * anyway, but an operator should learn that at deploy time, from one clear message.
 */
public class AuthConfigurationCheck {

    void onStart(@Observes StartupEvent event) {
        var config = ConfigProvider.getConfig();
        Optional<String> location = config.getOptionalValue("mp.jwt.verify.publickey.location", String.class);
        Optional<String> inline = config.getOptionalValue("mp.jwt.verify.publickey", String.class);
        if (location.isEmpty() && inline.isEmpty()) {
            throw new IllegalStateException("this service has no key to verify bearer tokens with: set "
                    + "MP_JWT_VERIFY_PUBLICKEY_LOCATION to your identity provider's PEM public key or JWKS URL "
                    + "(the local stack sets it; see README, 'Tokens')");
        }
    }
}
