// Marks a test (class or method) of the fast tier: it needs no PostgreSQL, so
// `./jbang test@kodiai --fast` runs it in seconds, without starting or even finding a server.
// A test that asks for the database anyway fails there with a line saying so (TestDatabase.noServer).

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Tag;

@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@Tag(TestRunner.FAST_TAG)
@interface Fast {}
