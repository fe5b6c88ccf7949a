package libzmq

// Name is the engine's name, as ZMQ_ENGINE and WithEngine spell it.
const Name = "libzmq"
