/* SPDX-License-Identifier: GPL-2.0-or-later */
/* trust and hostaddr: who is never banned, which sources cannot be real
 * (issue 17), each attack next to its benign twin. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "addr.h"
#include "addr_harness.h"
#include "config.h"
#include "hostaddr.h"
#include "trust.h"

static enum trust_martian
M(const char *s, bool lo)
{
	struct addr a = A(s);

	return trust_martian(NULL, &a, lo);
}

Test(trust, martians_from_a_wire)
{
	cr_assert_eq(M("127.0.0.1", false), TRUST_MARTIAN_LOOPBACK);
	cr_assert_eq(M("127.9.8.7", false), TRUST_MARTIAN_LOOPBACK);
	cr_assert_eq(M("::1", false), TRUST_MARTIAN_LOOPBACK);
	cr_assert_eq(M("0.0.0.0", false), TRUST_MARTIAN_THIS_NET);
	cr_assert_eq(M("0.1.2.3", false), TRUST_MARTIAN_THIS_NET);
	cr_assert_eq(M("::", false), TRUST_MARTIAN_THIS_NET);
	cr_assert_eq(M("224.0.0.1", false), TRUST_MARTIAN_MULTICAST);
	cr_assert_eq(M("239.255.255.250", false), TRUST_MARTIAN_MULTICAST);
	cr_assert_eq(M("ff02::1", false), TRUST_MARTIAN_MULTICAST);
	cr_assert_eq(M("255.255.255.255", false), TRUST_MARTIAN_BROADCAST);
	cr_assert_eq(M("::ffff:203.0.113.7", false), TRUST_MARTIAN_V4MAPPED);
}

Test(trust, benign_twins_are_not_martians)
{
	/* loopback on lo is the host talking to itself */
	cr_assert_eq(M("127.0.0.1", true), TRUST_MARTIAN_NONE);
	cr_assert_eq(M("::1", true), TRUST_MARTIAN_NONE);
	cr_assert_eq(M("203.0.113.7", false), TRUST_MARTIAN_NONE);
	cr_assert_eq(M("1.0.0.1", false), TRUST_MARTIAN_NONE);
	cr_assert_eq(M("223.255.255.255", false), TRUST_MARTIAN_NONE);
	cr_assert_eq(M("2001:db8:a::66", false), TRUST_MARTIAN_NONE);
	cr_assert_eq(M("fe80::1", false), TRUST_MARTIAN_NONE);
}

Test(trust, own_address_from_a_wire_is_martian)
{
	struct hostaddr *h = hostaddr_new();
	struct addr own = A("198.51.100.1"), other = A("198.51.100.2");

	cr_assert_not_null(h);
	cr_assert_eq(hostaddr_add(h, &own), 0);
	cr_assert_eq(trust_martian(h, &own, false), TRUST_MARTIAN_HOST);
	/* benign: the host's own traffic to itself comes in on lo */
	cr_assert_eq(trust_martian(h, &own, true), TRUST_MARTIAN_NONE);
	cr_assert_eq(trust_martian(h, &other, false), TRUST_MARTIAN_NONE);
	hostaddr_free(h);
}

static struct config *
cfg_with(const char *wl, const char *peer, const char *server)
{
	struct config *c = config_new_default();

	cr_assert_not_null(c);
	if (wl) {
		c->whitelist = calloc(1, sizeof(*c->whitelist));
		cr_assert_eq(addr_net_parse(wl, &c->whitelist[0]), 0);
		c->n_whitelist = 1;
	}
	if (peer) {
		c->peering_servers = calloc(1, sizeof(*c->peering_servers));
		cr_assert_eq(addr_net_parse(peer, &c->peering_servers[0]), 0);
		c->n_peering_servers = 1;
	}
	if (server) {
		c->server_addresses = calloc(1, sizeof(*c->server_addresses));
		cr_assert_eq(addr_net_parse(server, &c->server_addresses[0]), 0);
		c->n_server_addresses = 1;
	}
	return c;
}

static bool
covers(const struct config *c, const struct hostaddr *h, const char *net, unsigned plen)
{
	struct addr a = A(net);

	addr_mask(&a, plen);
	return trust_net_covers(c, h, &a, plen);
}

Test(trust, never_ban_list)
{
	struct config *c = cfg_with("2001:db8:5::10", "192.0.2.80", "198.51.100.1");
	struct hostaddr *h = hostaddr_new();
	struct addr own = A("203.0.113.250");

	hostaddr_add(h, &own);
	cr_assert(covers(c, h, "127.0.0.1", 32));
	cr_assert(covers(c, h, "127.0.0.53", 32));
	cr_assert(covers(c, h, "::1", 128));
	cr_assert(covers(c, h, "2001:db8:5::10", 128));
	cr_assert(covers(c, h, "192.0.2.80", 32));
	cr_assert(covers(c, h, "198.51.100.1", 32));
	cr_assert(covers(c, h, "203.0.113.250", 32));
	/* benign twins: the neighbours are bannable */
	cr_assert_not(covers(c, h, "2001:db8:5::99", 128));
	cr_assert_not(covers(c, h, "198.51.100.2", 32));
	cr_assert_not(covers(c, h, "203.0.113.251", 32));
	cr_assert_not(covers(c, h, "192.0.2.81", 32));
	hostaddr_free(h);
	config_free(c);
}

Test(trust, aggregates_that_hold_a_trusted_address)
{
	struct config *c = cfg_with("2001:db8:5::10", "192.0.2.0/28", "198.51.100.1");
	struct hostaddr *h = hostaddr_new();
	struct addr own = A("2001:db8:e::1");

	hostaddr_add(h, &own);
	/* the /64 of a whitelisted peer, of the host, of loopback */
	cr_assert(covers(c, h, "2001:db8:5::99", 64));
	cr_assert(covers(c, h, "2001:db8:e::5", 64));
	cr_assert(covers(c, h, "127.0.0.0", 8));
	cr_assert(covers(c, h, "0.0.0.0", 1));
	/* a network inside a whitelisted subnet, and one holding it */
	cr_assert(covers(c, h, "192.0.2.8", 30));
	cr_assert(covers(c, h, "192.0.2.0", 24));
	cr_assert(covers(c, h, "198.51.100.0", 24));
	/* benign twins: networks with nothing trusted in them */
	cr_assert_not(covers(c, h, "2001:db8:a::66", 64));
	cr_assert_not(covers(c, h, "192.0.2.16", 28));
	cr_assert_not(covers(c, h, "203.0.113.0", 24));
	hostaddr_free(h);
	config_free(c);
}

Test(hostaddr, replace_add_del)
{
	struct hostaddr *h = hostaddr_new();
	struct addr v[3] = { A("198.51.100.1"), A("2001:db8:5::1"), A("127.0.0.1") };
	struct addr x = A("198.51.100.9");

	hostaddr_replace(h, v, 3);
	cr_assert_eq(hostaddr_count(h), 3);
	cr_assert(hostaddr_contains(h, &v[1]));
	cr_assert_not(hostaddr_contains(h, &x));
	cr_assert_eq(hostaddr_add(h, &x), 0);
	cr_assert_eq(hostaddr_add(h, &x), 0);
	cr_assert_eq(hostaddr_count(h), 4);
	hostaddr_del(h, &v[0]);
	cr_assert_not(hostaddr_contains(h, &v[0]));
	cr_assert(hostaddr_contains(h, &x));
	cr_assert(hostaddr_in_net(h, &x, 24));
	cr_assert_not(hostaddr_contains(NULL, &x));
	hostaddr_free(h);
}

Test(hostaddr, bounded)
{
	struct hostaddr *h = hostaddr_new();
	struct addr a;

	for (unsigned i = 0; i < HOSTADDR_MAX + 10; i++) {
		memset(&a, 0, sizeof(a));
		a.family = AF_INET6;
		a.a[0] = 0x20;
		a.a[1] = 0x01;
		a.a[14] = (uint8_t)(i >> 8);
		a.a[15] = (uint8_t)i;
		hostaddr_add(h, &a);
	}
	cr_assert_eq(hostaddr_count(h), HOSTADDR_MAX);
	cr_assert_eq(hostaddr_overflow(h), 10);
	hostaddr_free(h);
}

/* Readers racing a writer that flips the list never see a torn answer:
 * the address that is always present is always found. */
static struct hostaddr *g_h;
static atomic_bool g_stop;

static void *
writer(void *arg)
{
	struct addr v[2] = { A("198.51.100.1"), A("198.51.100.2") };

	(void)arg;
	for (int i = 0; i < 200000 && !atomic_load(&g_stop); i++) {
		hostaddr_replace(g_h, v, 2);
		hostaddr_del(g_h, &v[1]);
	}
	atomic_store(&g_stop, true);
	return NULL;
}

Test(hostaddr, lock_free_readers)
{
	pthread_t t;
	struct addr always = A("198.51.100.1");
	unsigned misses = 0;

	g_h = hostaddr_new();
	hostaddr_add(g_h, &always);
	atomic_store(&g_stop, false);
	cr_assert_eq(pthread_create(&t, NULL, writer, NULL), 0);
	for (int i = 0; i < 200000 && !atomic_load(&g_stop); i++)
		misses += !hostaddr_contains(g_h, &always);
	atomic_store(&g_stop, true);
	pthread_join(t, NULL);
	cr_assert_eq(misses, 0);
	hostaddr_free(g_h);
}
