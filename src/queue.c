// SPDX-License-Identifier: GPL-2.0
/*
 * khttps: queue mode.  Named accept queues of established connections, one
 * set per network namespace, and /dev/khttps, through which applications
 * wait for and take those connections as plaintext sockets.
 *
 * A queue's length (default_queue_len) bounds the established connections
 * waiting in it.  While it is full, new connections are refused at TCP
 * accept, before any handshake, and a handshake that completes finds no
 * room and is closed; both are counted (KHTTPS_STAT_QUEUE_FULL).  So a
 * stalled application costs no more than its queue plus the handshakes
 * already under way, which max_pending_handshakes bounds.
 *
 * Access: a /dev/khttps file belongs to the network namespace it was opened
 * in and sees only that namespace's queues.  Attaching to a queue needs
 * CAP_NET_ADMIN over the namespace, or the queue's user or group (set on
 * its binding), so the device itself can be open to everyone.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/ctype.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/net.h>
#include <linux/nsproxy.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <net/net_namespace.h>
#include <net/sock.h>

#include "khttps.h"

/* One open /dev/khttps. */
struct khttps_qfile {
	struct net *net;		/* the opener's, held */
	struct khttps_queue *q;		/* set once by ATTACH, held */
};

/**
 * khttps_queue_name_ok() - is this a valid queue name?
 * @s: NUL-terminated
 *
 * Return: true for 1..%KHTTPS_QUEUE_NAME_MAX - 1 bytes of [A-Za-z0-9._-].
 */
bool khttps_queue_name_ok(const char *s)
{
	size_t n = strnlen(s, KHTTPS_QUEUE_NAME_MAX);

	if (!n || n == KHTTPS_QUEUE_NAME_MAX)
		return false;
	for (; *s; s++)
		if (!isalnum(*s) && *s != '.' && *s != '_' && *s != '-')
			return false;
	return true;
}

/* With a reference, or NULL.  Context: kn_qlock held. */
static struct khttps_queue *khttps_queue_find(struct khttps_net *kn, const char *name)
{
	struct khttps_queue *q;

	lockdep_assert_held(&kn->kn_qlock);
	list_for_each_entry(q, &kn->kn_queues, q_list)
		if (!strcmp(q->q_name, name) && refcount_inc_not_zero(&q->q_ref))
			return q;
	return NULL;
}

/**
 * khttps_queue_get() - the queue of this name, created if need be
 * @kn: the namespace
 * @name: a valid queue name
 * @uid: a user that may attach besides admins, or INVALID_UID
 * @gid: a group likewise, or INVALID_GID
 * @extack: where to say what was wrong
 *
 * Bindings that name one queue share it.  A queue's user and group are
 * those of the binding that created it; another binding may repeat them or
 * leave them out, not change them.
 *
 * Return: the queue with a reference, or an ERR_PTR.
 * Context: process.
 */
struct khttps_queue *khttps_queue_get(struct khttps_net *kn, const char *name, kuid_t uid,
				      kgid_t gid, struct netlink_ext_ack *extack)
{
	struct khttps_queue *q, *new;

	new = kzalloc(sizeof(*new), GFP_KERNEL);
	spin_lock(&kn->kn_qlock);
	q = khttps_queue_find(kn, name);
	if (!q && new) {
		q = new;
		new = NULL;
		q->q_kn = kn;
		refcount_set(&q->q_ref, 1);
		strscpy(q->q_name, name, sizeof(q->q_name));
		q->q_uid = uid;
		q->q_gid = gid;
		INIT_LIST_HEAD(&q->q_ready);
		init_waitqueue_head(&q->q_wait);
		list_add_tail(&q->q_list, &kn->kn_queues);
	}
	spin_unlock(&kn->kn_qlock);
	kfree(new);
	if (!q)
		return ERR_PTR(-ENOMEM);
	if ((uid_valid(uid) && !uid_eq(uid, q->q_uid)) ||
	    (gid_valid(gid) && !gid_eq(gid, q->q_gid))) {
		NL_SET_ERR_MSG_FMT(extack, "khttps: queue %s exists with another user or group",
				   name);
		khttps_queue_put(q);
		return ERR_PTR(-EINVAL);
	}
	return q;
}

/**
 * khttps_queue_put() - drop a reference; the last one unlists and frees it
 * @q: the queue
 *
 * Context: any but hard irq.
 */
void khttps_queue_put(struct khttps_queue *q)
{
	struct khttps_net *kn = q->q_kn;
	bool last;

	/* refcount_dec_and_lock(), spelled out so that sparse can follow the lock. */
	if (refcount_dec_not_one(&q->q_ref))
		return;
	spin_lock(&kn->kn_qlock);
	last = refcount_dec_and_test(&q->q_ref);
	if (last)
		list_del(&q->q_list);
	spin_unlock(&kn->kn_qlock);
	if (!last)
		return;
	/* Connections hold their binding, which holds the queue. */
	WARN_ON_ONCE(!list_empty(&q->q_ready));
	kfree(q);
}

/**
 * khttps_queue_full() - does a binding's queue hold its length of connections?
 * @kb: a queue-mode binding
 *
 * Context: kn_lock held.
 */
bool khttps_queue_full(struct khttps_binding *kb)
{
	lockdep_assert_held(&kb->kb_kn->kn_lock);
	return kb->kb_queue->q_nready >= khttps_param(default_queue_len);
}

/**
 * khttps_queue_ready() - an established connection joins its queue
 * @kc: just established, queue mode
 *
 * Return: 0, or -ENOSPC when the queue is full (the caller closes it).
 * Context: kn_lock held.
 */
int khttps_queue_ready(struct khttps_conn *kc)
{
	struct khttps_queue *q = kc->kc_binding->kb_queue;

	lockdep_assert_held(&kc->kc_kn->kn_lock);
	if (khttps_queue_full(kc->kc_binding))
		return -ENOSPC;
	list_add_tail(&kc->kc_qlist, &q->q_ready);
	q->q_nready++;
	/* Untaken for idle_timeout_ms, it is closed (khttps_conn_idle_sweep). */
	WRITE_ONCE(kc->kc_last, jiffies);
	khttps_conn_idle_arm(kc->kc_kn);
	khttps_stat_inc(kc->kc_kn, kc->kc_binding, KHTTPS_STAT_QUEUED);
	wake_up_interruptible_poll(&q->q_wait, EPOLLIN | EPOLLRDNORM);
	return 0;
}

/**
 * khttps_queue_remove() - take a connection off its queue, if it is on one
 * @kc: the connection (any mode)
 *
 * Context: kn_lock held.
 */
void khttps_queue_remove(struct khttps_conn *kc)
{
	lockdep_assert_held(&kc->kc_kn->kn_lock);
	if (!list_empty(&kc->kc_qlist)) {
		list_del_init(&kc->kc_qlist);
		kc->kc_binding->kb_queue->q_nready--;
		khttps_stat_dec(kc->kc_kn, kc->kc_binding, KHTTPS_STAT_QUEUED);
	}
}

static int khttps_dev_open(struct inode *inode, struct file *file)
{
	struct khttps_qfile *qf = kzalloc(sizeof(*qf), GFP_KERNEL);

	if (!qf)
		return -ENOMEM;
	qf->net = get_net(current->nsproxy->net_ns);
	file->private_data = qf;
	return nonseekable_open(inode, file);
}

static int khttps_dev_release(struct inode *inode, struct file *file)
{
	struct khttps_qfile *qf = file->private_data;

	if (qf->q)
		khttps_queue_put(qf->q);
	put_net(qf->net);
	kfree(qf);
	return 0;
}

static bool khttps_queue_may_attach(const struct khttps_queue *q, const struct net *net)
{
	return ns_capable(net->user_ns, CAP_NET_ADMIN) ||
	       (uid_valid(q->q_uid) && uid_eq(current_fsuid(), q->q_uid)) ||
	       (gid_valid(q->q_gid) && in_group_p(q->q_gid));
}

static long khttps_dev_attach(struct khttps_qfile *qf, struct khttps_attach __user *uarg)
{
	struct khttps_net *kn = khttps_net(qf->net);
	struct khttps_attach a;
	struct khttps_queue *q;

	if (copy_from_user(&a, uarg, sizeof(a)))
		return -EFAULT;
	if (a.flags || !khttps_queue_name_ok(a.name))
		return -EINVAL;
	spin_lock(&kn->kn_qlock);
	q = khttps_queue_find(kn, a.name);
	spin_unlock(&kn->kn_qlock);
	if (!q)
		return -ENOENT;
	if (!khttps_queue_may_attach(q, qf->net)) {
		khttps_queue_put(q);
		return -EACCES;
	}
	if (cmpxchg(&qf->q, NULL, q)) {
		khttps_queue_put(q);
		return -EBUSY;
	}
	return 0;
}

static void khttps_conn_info(struct khttps_conn *kc, struct khttps_conn_info *info)
{
	info->conn_id = kc->kc_id;
	info->tls_version = kc->kc_version;
	info->cipher = kc->kc_cipher;
	memcpy(&info->peer, &kc->kc_peer, sizeof(info->peer));
	if (kernel_getsockname(kc->kc_sock, (struct sockaddr *)&info->local) < 0)
		memcpy(&info->local, &kc->kc_listen, sizeof(info->local));
	if (kc->kc_sni)
		strscpy(info->sni, kc->kc_sni, sizeof(info->sni));
	if (kc->kc_alpn)
		strscpy(info->alpn, kc->kc_alpn, sizeof(info->alpn));
	if (kc->kc_client) {
		info->flags |= KHTTPS_CONN_CLIENT_CERT;
		strscpy(info->client_subject, kc->kc_client->subject, sizeof(info->client_subject));
		strscpy(info->client_issuer, kc->kc_client->issuer, sizeof(info->client_issuer));
		strscpy(info->client_serial, kc->kc_client->serial, sizeof(info->client_serial));
		memcpy(info->client_sha256, kc->kc_client->sha256, sizeof(info->client_sha256));
	}
}

/*
 * Take the oldest ready connection: it becomes an application socket
 * (appsock.c) and a new fd of the caller.  The kernel's file reference is
 * handed over; the fd is installed only once nothing can fail any more.
 */
static long khttps_dev_accept(struct khttps_qfile *qf, struct file *file,
			      struct khttps_accept __user *uarg)
{
	struct khttps_queue *q = READ_ONCE(qf->q);
	struct khttps_net *kn = khttps_net(qf->net);
	struct khttps_accept *a;
	struct khttps_conn *kc;
	struct file *sfile;
	u32 flags;
	long err;
	int fd;

	if (!q)
		return -EBADFD;
	if (get_user(flags, &uarg->flags))
		return -EFAULT;
	if (flags & ~(SOCK_CLOEXEC | SOCK_NONBLOCK))
		return -EINVAL;
	a = kzalloc(sizeof(*a), GFP_KERNEL);
	if (!a)
		return -ENOMEM;
	fd = get_unused_fd_flags(flags & SOCK_CLOEXEC ? O_CLOEXEC : 0);
	if (fd < 0) {
		err = fd;
		goto out_free;
	}
	for (;;) {
		mutex_lock(&kn->kn_lock);
		kc = list_first_entry_or_null(&q->q_ready, struct khttps_conn, kc_qlist);
		if (kc)
			break;
		mutex_unlock(&kn->kn_lock);
		err = -EAGAIN;
		if (file->f_flags & O_NONBLOCK)
			goto out_fd;
		err = wait_event_interruptible_exclusive(q->q_wait, READ_ONCE(q->q_nready));
		if (err)
			goto out_fd;
	}
	khttps_queue_remove(kc);
	err = khttps_app_adopt(kc);
	if (err) {
		khttps_conn_close(kc, 0);
		mutex_unlock(&kn->kn_lock);
		goto out_fd;
	}
	khttps_stat_inc(kn, kc->kc_binding, KHTTPS_STAT_APP_ACCEPTED);
	khttps_conn_info(kc, &a->info);
	khttps_conn_sock_user(kc);
	sfile = kc->kc_file;
	kc->kc_file = NULL;
	mutex_unlock(&kn->kn_lock);

	if (flags & SOCK_NONBLOCK) {
		spin_lock(&sfile->f_lock);
		sfile->f_flags |= O_NONBLOCK;
		spin_unlock(&sfile->f_lock);
	}
	a->flags = flags;
	a->fd = fd;
	if (copy_to_user(uarg, a, sizeof(*a))) {
		/* The application cannot learn of it: close it. */
		fput(sfile);
		err = -EFAULT;
		goto out_fd;
	}
	fd_install(fd, sfile);
	kfree(a);
	return 0;

out_fd:
	put_unused_fd(fd);
out_free:
	kfree(a);
	return err;
}

static long khttps_dev_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct khttps_qfile *qf = file->private_data;

	switch (cmd) {
	case KHTTPS_IOC_ATTACH:
		return khttps_dev_attach(qf, (void __user *)arg);
	case KHTTPS_IOC_ACCEPT:
		return khttps_dev_accept(qf, file, (void __user *)arg);
	default:
		return -ENOTTY;
	}
}

static __poll_t khttps_dev_poll(struct file *file, struct poll_table_struct *wait)
{
	struct khttps_qfile *qf = file->private_data;
	struct khttps_queue *q = READ_ONCE(qf->q);

	if (!q)
		return EPOLLERR;
	poll_wait(file, &q->q_wait, wait);
	return READ_ONCE(q->q_nready) ? EPOLLIN | EPOLLRDNORM : 0;
}

static const struct file_operations khttps_dev_fops = {
	.owner		= THIS_MODULE,
	.open		= khttps_dev_open,
	.release	= khttps_dev_release,
	.unlocked_ioctl	= khttps_dev_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.poll		= khttps_dev_poll,
};

static struct miscdevice khttps_miscdev = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= KHTTPS_DEV_NAME,
	.fops	= &khttps_dev_fops,
	.mode	= 0666,
};

/**
 * khttps_queue_init() - register /dev/khttps
 *
 * Return: 0 or a negative errno.
 */
int khttps_queue_init(void)
{
	return misc_register(&khttps_miscdev);
}

/**
 * khttps_queue_exit() - unregister /dev/khttps
 */
void khttps_queue_exit(void)
{
	misc_deregister(&khttps_miscdev);
	khttps_app_exit();
}
