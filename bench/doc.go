// Package bench measures vpcsim's data plane beside the kernel's.
//
// A [Subject] builds two endpoints, a client and a server, each in its own
// network namespace, joined by whatever forwards packets between them: the
// kernel through a router namespace ([Kernel]), a bare TUN-to-TUN copy loop
// ([BareTUN]), or vpcsim's VPC routers. [Run] sets every subject up at every
// MTU in turn, measures it with real iperf3 and ping run inside the
// namespaces, tears it down, and returns a [Report] whose ratios put each
// subject beside the baselines measured in the same run.
//
// Adding a subject: implement [Subject] (Name plus Setup returning
// [Endpoints] whose Close removes everything Setup made) and pass it in
// [Config].Subjects. Name it with [NamePrefix] so [Cleanup] finds leftovers.
// Ratios are computed against every subject whose name is in
// [Config].Baselines, so a subject named "vpcsim" is reported as vpcsim/kernel
// and vpcsim/bare-tun without further wiring.
//
// Everything here needs root, iproute2, iperf3 and iputils ping, and sends
// traffic only between the namespaces it creates.
package bench
