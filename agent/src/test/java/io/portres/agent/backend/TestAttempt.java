package io.portres.agent.backend;

import io.portres.policy.Protocol;
import io.portres.policy.Rule;

import java.io.FileDescriptor;
import java.lang.reflect.Proxy;
import java.net.InetAddress;
import java.util.HashMap;
import java.util.Map;

/** Fixed {@link BindAttempt}s for backend unit tests. */
public final class TestAttempt {

    private TestAttempt() {
    }

    /** A bind seen at site 0 with no OS handle; every other value as given. */
    public static BindAttempt of(FileDescriptor fd, InetAddress address, int port, Protocol protocol,
                                 boolean implicit, Rule rule) {
        final Map<String, Object> v = new HashMap<>();
        v.put("site", 0);
        v.put("context", null);
        v.put("fd", fd);
        v.put("handle", -1);
        v.put("address", address);
        v.put("port", port);
        v.put("protocol", protocol);
        v.put("implicit", implicit);
        v.put("rule", rule);
        v.put("reservation", rule.reservation());
        return (BindAttempt) Proxy.newProxyInstance(BindAttempt.class.getClassLoader(),
                new Class<?>[] {BindAttempt.class}, (proxy, method, args) -> {
                    if (!v.containsKey(method.getName())) {
                        throw new UnsupportedOperationException(method.getName());
                    }
                    return v.get(method.getName());
                });
    }
}
