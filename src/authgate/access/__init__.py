"""Who is asking: accountability, role trees, policies and the global flags they grant."""
