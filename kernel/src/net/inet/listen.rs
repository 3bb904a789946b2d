//! A listening TCP socket's pool of protocol sockets: each listens on
//! the port until a handshake completes in it; accept takes such a one
//! and puts a fresh listener in its place.

use alloc::vec::Vec;

use smoltcp::iface::SocketHandle;
use smoltcp::socket::tcp::{self, State};
use smoltcp::wire::{IpEndpoint, IpListenEndpoint};

use super::options::Options;
use super::stack::Stack;
use super::tcp::new_protocol_socket;

pub fn is_ready(st: &Stack, iface: usize, handle: SocketHandle) -> bool {
    let state = st.ifaces[iface].sockets.get::<tcp::Socket>(handle).state();
    !matches!(state, State::Listen | State::SynReceived | State::Closed)
}

/// Takes a pooled socket whose handshake is done (with its local and
/// remote endpoints), and puts a new listener in its place (or, out of
/// memory, leaves the pool one smaller); one whose connection failed
/// listens again.
pub fn take_ready(
    st: &mut Stack,
    pool: &mut Vec<(usize, SocketHandle)>,
    endpoint: IpListenEndpoint,
    opts: &Options,
) -> Option<(usize, SocketHandle, IpEndpoint, IpEndpoint)> {
    for i in 0..pool.len() {
        let (iface, handle) = pool[i];
        let state = st.ifaces[iface].sockets.get::<tcp::Socket>(handle).state();
        if state == State::Closed {
            let sock = st.ifaces[iface].sockets.get_mut::<tcp::Socket>(handle);
            let _ = sock.listen(endpoint);
            continue;
        }
        if !is_ready(st, iface, handle) {
            continue;
        }
        let conn = st.ifaces[iface].sockets.get::<tcp::Socket>(handle);
        let (local, peer) = (conn.local_endpoint()?, conn.remote_endpoint()?);
        match new_protocol_socket(opts) {
            Ok(mut fresh) => {
                let _ = fresh.listen(endpoint);
                pool[i].1 = st.ifaces[iface].sockets.add(fresh);
            }
            Err(_) => {
                pool.remove(i);
            }
        }
        return Some((iface, handle, local, peer));
    }
    None
}
