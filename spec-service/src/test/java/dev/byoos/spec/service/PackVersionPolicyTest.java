package dev.byoos.spec.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class PackVersionPolicyTest {

    @Test
    void patchBumpsThePatchAndMinorTheMinorDroppingAnyPreRelease() {
        assertEquals("1.0.1", PackVersionPolicy.next("1.0.0", "patch"));
        assertEquals("1.0.10", PackVersionPolicy.next("1.0.9", "patch"));
        assertEquals("1.1.0", PackVersionPolicy.next("1.0.7", "minor"));
        assertEquals("2.4.0", PackVersionPolicy.next("2.3.0-rc.1", "minor"));
        assertEquals("1.0.1", PackVersionPolicy.next("1.0.0-rc.1", "patch"));
    }

    @Test
    void anythingTheSchemaWouldRefuseIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> PackVersionPolicy.next("v1.0.0", "patch"));
        assertThrows(IllegalArgumentException.class, () -> PackVersionPolicy.next("1.0.0", "major"));
    }
}
