/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SIPWARDEN_SIPMETHOD_H
#define SIPWARDEN_SIPMETHOD_H

/*
 * sipmethod - the SIP methods sipwarden names. A vocabulary shared by the
 * config (ua_blacklist_methods is a bit set of these) and the SIP scanner
 * (sip.h parses them), kept in the base layer so the config need not know
 * how SIP is parsed.
 */

enum sip_method {
	SIP_METHOD_NONE = 0, /* a reply */
	SIP_METHOD_INVITE,
	SIP_METHOD_ACK,
	SIP_METHOD_BYE,
	SIP_METHOD_CANCEL,
	SIP_METHOD_REGISTER,
	SIP_METHOD_OPTIONS,
	SIP_METHOD_SUBSCRIBE,
	SIP_METHOD_NOTIFY,
	SIP_METHOD_PUBLISH,
	SIP_METHOD_INFO,
	SIP_METHOD_PRACK,
	SIP_METHOD_UPDATE,
	SIP_METHOD_MESSAGE,
	SIP_METHOD_REFER,
	SIP_METHOD_OTHER, /* a syntactically valid token we do not know */
	SIP_METHOD__MAX
};

#endif
