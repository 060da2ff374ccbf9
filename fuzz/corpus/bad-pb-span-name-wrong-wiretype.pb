
D


service.name
svc)

sc1
	
(