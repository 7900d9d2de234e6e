# PyTorch: optim 패키지
#
# 가중치를 직접 갱신하는 대신 optim 패키지의 최적화 알고리즘(여기서는 Adam)을 쓴다.
import ember as torch

torch.manual_seed(0)

# N은 배치 크기, D_in은 입력의 차원, H는 은닉층의 차원, D_out은 출력 차원이다.
N, D_in, H, D_out = 64, 1000, 100, 10

x = torch.randn(N, D_in)
y = torch.randn(N, D_out)

model = torch.nn.Sequential(
    torch.nn.Linear(D_in, H),
    torch.nn.ReLU(),
    torch.nn.Linear(H, D_out),
)
loss_fn = torch.nn.MSELoss(reduction="sum")

# optim 패키지로 모델의 가중치를 갱신할 Optimizer를 정의한다.
# 첫 번째 인자는 갱신할 Tensor들(모델의 매개변수)이다.
learning_rate = 1e-4
optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)
for t in range(500):
    y_pred = model(x)

    loss = loss_fn(y_pred, y)
    if t == 0 or t % 100 == 99:
        print(t, "번째 학습결과 : ", loss.item())

    # 역전파 단계 전에 갱신할 변수들의 변화도를 0으로 만든다.
    # .backward()를 호출할 때마다 변화도가 버퍼에 누적되기 때문이다.
    optimizer.zero_grad()

    # 역전파 단계: 모델의 매개변수에 대한 손실의 변화도를 계산한다.
    loss.backward()

    # Optimizer의 step 함수로 매개변수를 갱신한다.
    optimizer.step()
